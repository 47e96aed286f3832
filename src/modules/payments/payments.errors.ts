import { appError, errors, type FieldError } from '../../platform/errors.js';

/** Errors of the payment flow. Codes are stable API. */
export const paymentErrors = {
  notFound: (id: string) => errors.notFound('payment', id),
  bookingNotFound: (id: string) => errors.notFound('booking', id),
  bookingNotPending: (id: string, status: string) =>
    appError('booking_not_pending', 409, `Booking ${id} is ${status}; only a pending booking can be paid.`, { bookingStatus: status }),
  holdExpired: (id: string, expiresAt: Date) =>
    appError('hold_expired', 409, `The hold of booking ${id} expired at ${expiresAt.toISOString()}; book again.`, {
      expiresAt: expiresAt.toISOString(),
    }),
  blocked: (paymentId: string, score: number) =>
    appError('payment_blocked', 403, 'This payment was blocked by our fraud checks. Contact support if you think this is a mistake.', {
      paymentId,
      fraudScore: score,
    }),
  /** The provider refused the payment at once (payer not found, card declined...): no charge happened. */
  rejected: (paymentId: string, provider: string, reason: string) =>
    appError('payment_rejected', 422, `The payment provider ${provider} refused the payment: ${reason}. You can retry with another number or card.`, {
      paymentId,
      provider,
      reason,
    }),
  /** Every provider for the method is down: the payment is recorded as failed; retry shortly. */
  providerUnavailable: (paymentId: string, method: string, currency: string) =>
    appError('provider_unavailable', 503, `No payment provider for ${method} in ${currency} is available right now; retry shortly.`, { paymentId }, {
      headers: { 'retry-after': '5' },
    }),
  invalid: (fieldErrors: FieldError[]) => errors.validation(fieldErrors, 'The payment request is invalid.'),
  reviewNotPending: (id: string, status: string | null) =>
    appError('review_not_pending', 409, `Payment ${id} is not waiting for a review (review status: ${status ?? 'not flagged'}).`, {
      reviewStatus: status,
    }),
  unknownWebhookProvider: (name: string) => errors.notFound('payment_provider', name),
};
