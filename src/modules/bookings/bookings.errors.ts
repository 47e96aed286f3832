import { appError, errors, type FieldError } from '../../platform/errors.js';

export const bookingErrors = {
  notFound: (id: string) => errors.notFound('booking', id),
  notPending: (id: string, status: string) =>
    appError('booking_not_pending', 409, `Booking ${id} is ${status}; only a pending booking can be cancelled.`, { bookingStatus: status }),
  eventNotFound: (id: string) => errors.notFound('event', id),
  eventCancelled: (id: string) => appError('event_cancelled', 409, `Event ${id} was cancelled; it takes no bookings.`),
  eventEnded: (id: string) => appError('sales_closed', 409, `Event ${id} has ended; it takes no bookings.`, { ticketTypeIds: [] }),
  invalid: (fieldErrors: FieldError[]) => errors.validation(fieldErrors, 'The booking is invalid.'),
};
