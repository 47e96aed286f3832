import type { Db } from '../../platform/db/database.js';

// PLACEHOLDER — to be implemented (issue 2: organizers, members, commission).
export class OrganizersService {
  constructor(readonly db: Db) {}
}
