import { appError } from '../../platform/errors.js';

export const ledgerErrors = {
  /** A refund of an applied payment whose own posting is missing: the books would not reconcile. */
  paymentNotPosted: (paymentId: string) =>
    appError('ledger_payment_not_posted', 409, `Payment ${paymentId} has no ledger posting; it cannot be refunded until it is posted.`, { paymentId }),
  /** Refunds of a payment would exceed what it brought in. */
  refundExceedsPayment: (paymentId: string, paid: number, refunded: number) =>
    appError('refund_exceeds_payment', 409, `Refunds of payment ${paymentId} would exceed its amount.`, { paymentId, paid, refunded }),
};
