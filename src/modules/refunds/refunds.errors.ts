import { appError, errors, type FieldError } from '../../platform/errors.js';

export const refundErrors = {
  bookingNotFound: (id: string) => errors.notFound('booking', id),
  refundNotFound: (id: string) => errors.notFound('refund', id),
  paymentNotFound: (id: string) => errors.notFound('payment', id),
  invalid: (fieldErrors: FieldError[]) => errors.validation(fieldErrors, 'The refund is invalid.'),
  notRefundable: (id: string, status: string) =>
    appError('booking_not_refundable', 409, `Booking ${id} is ${status}; only a confirmed or partially refunded booking can be refunded.`, {
      bookingStatus: status,
    }),
  exceedsRemaining: (items: { ticketTypeId: string; requested: number; remaining: number }[]) =>
    appError('refund_exceeds_remaining', 409, 'More tickets were asked to be refunded than remain unrefunded in this booking.', { items }),
  exceedsPayment: (paymentId: string) =>
    appError('refund_exceeds_payment', 409, `Refunds of payment ${paymentId} would exceed what it paid.`, { paymentId }),
  notPaid: (id: string) =>
    appError('booking_not_paid', 409, `Booking ${id} has no payment applied to it; there is no money to refund.`),
  nothingToRefund: (id: string) =>
    appError('nothing_to_refund', 409, `Booking ${id} cost nothing; there is no money to refund.`),
  paymentNotRefundable: (id: string, why: string) =>
    appError('payment_not_refundable', 409, `Payment ${id} cannot be refunded automatically: ${why}.`, { paymentId: id }),
  buyerCannotRefund: () =>
    errors.forbidden('Refunds are made by the organizer’s owners and managers or by an admin; ask the organizer.'),
};
