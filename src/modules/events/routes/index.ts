import type { FastifyInstance } from 'fastify';
import { createVenue } from './createVenue.js';
import { listVenues } from './listVenues.js';
import { getVenue } from './getVenue.js';
import { updateVenue } from './updateVenue.js';
import { createEvent } from './createEvent.js';
import { listOrganizerEvents } from './listOrganizerEvents.js';
import { listEvents } from './listEvents.js';
import { getEvent } from './getEvent.js';
import { updateEvent } from './updateEvent.js';
import { publishEvent } from './publishEvent.js';
import { cancelEvent } from './cancelEvent.js';
import { completeEvent } from './completeEvent.js';
import { createTicketType } from './createTicketType.js';
import { listTicketTypes } from './listTicketTypes.js';
import { updateTicketType } from './updateTicketType.js';

/** Venues, events (and the public catalogue) and ticket types. */
export async function eventsRoutes(app: FastifyInstance) {
  createVenue(app);
  listVenues(app);
  getVenue(app);
  updateVenue(app);
  createEvent(app);
  listOrganizerEvents(app);
  listEvents(app);
  getEvent(app);
  updateEvent(app);
  publishEvent(app);
  cancelEvent(app);
  completeEvent(app);
  createTicketType(app);
  listTicketTypes(app);
  updateTicketType(app);
}
