import type { Db } from '../../platform/db/database.js';
import type { OrganizersService } from '../organizers/organizers.service.js';

// PLACEHOLDER — to be implemented (issue 2: venues, events, ticket types, catalogue).
export class EventsService {
  constructor(
    readonly db: Db,
    readonly organizers: OrganizersService,
  ) {}
}
