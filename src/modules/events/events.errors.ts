import { appError, errors } from '../../platform/errors.js';
import type { EventStatus } from '../../platform/db/schema.js';

/** Errors of the events domain (venues, events, ticket types, catalogue). Codes are stable API. */
export const eventsErrors = {
  venueNotFound: (id?: string) => errors.notFound('venue', id),
  eventNotFound: (id?: string) => errors.notFound('event', id),
  ticketTypeNotFound: (id?: string) => errors.notFound('ticket_type', id),
  /** venueId names no venue of the event's organizer (a 400 on that field: it is bad input). */
  venueNotInOrganizer: () => errors.invalidField('venueId', 'no venue with this id belongs to this organizer'),
  eventHasNoTicketTypes: () =>
    appError('event_has_no_ticket_types', 409, 'An event needs at least one ticket type before it can be published.'),
  invalidStatusTransition: (from: EventStatus, to: EventStatus) =>
    appError('invalid_status_transition', 409, `An event cannot go from ${from} to ${to}.`, { from, to }),
  eventCancelled: () => appError('event_cancelled', 409, 'This event is cancelled and can no longer be changed.'),
  eventCompleted: () => appError('event_completed', 409, 'This event is completed and can no longer be changed.'),
  capacityBelowSold: (requested: number, held: number, sold: number) =>
    appError(
      'capacity_below_sold',
      409,
      `Capacity cannot drop to ${requested}: ${sold} sold and ${held} held right now.`,
      { requested, held, sold, minimum: held + sold },
    ),
  priceLocked: () =>
    appError('price_locked', 409, 'Price and currency cannot change once tickets of this type are sold or held.'),
  currencyMismatch: (eventCurrency: string, requested: string) =>
    appError(
      'currency_mismatch',
      409,
      `Every ticket type of an event uses one currency: this event sells in ${eventCurrency}, not ${requested}.`,
      { eventCurrency, requested },
    ),
  invalidCursor: () => errors.invalidField('cursor', 'is not a cursor this API returned'),
};
