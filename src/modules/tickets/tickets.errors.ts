import { appError, errors, type FieldError } from '../../platform/errors.js';

/** Errors of tickets and check-in. Codes are stable API. (Scan refusals are not errors: see ScanCode.) */
export const ticketsErrors = {
  bookingNotFound: (id: string) => errors.notFound('booking', id),
  ticketNotFound: (id: string) => errors.notFound('ticket', id),
  eventNotFound: (id: string) => errors.notFound('event', id),
  checkinListNotFound: (id: string) => errors.notFound('checkin_list', id),
  ticketsNotIssued: (bookingId: string, status: string) =>
    appError('tickets_not_issued', 409, `Booking ${bookingId} has no valid tickets (it is ${status}).`, { bookingStatus: status }),
  ticketRevoked: (id: string, reason: string | null) =>
    appError('ticket_revoked', 409, `Ticket ${id} was revoked (${reason ?? 'no reason'}).`, { reason }),
  invalid: (fieldErrors: FieldError[], message = 'The request is invalid.') => errors.validation(fieldErrors, message),
};
