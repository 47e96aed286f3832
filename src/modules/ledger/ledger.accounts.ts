/**
 * The chart of accounts (strings; one balance per account, currency and — for the organizer
 * accounts — organizer). Debit-normal: provider clearing (asset). Credit-normal: the rest.
 *  - provider_clearing:<provider>  money held for us at the provider (MoMo, Stripe);
 *  - organizer_payable             what we owe the organizer (entries carry organizer_id);
 *  - platform_commission           our revenue (entries carry the organizer it came from);
 *  - buyer_refunds_payable         money owed back to buyers for payments we could not apply.
 */
export const ACCOUNTS = {
  providerClearing: (provider: string) => `provider_clearing:${provider}`,
  organizerPayable: 'organizer_payable',
  platformCommission: 'platform_commission',
  buyerRefundsPayable: 'buyer_refunds_payable',
} as const;

/** Ledger transaction kinds; with reference_id (payment id or refund id) they are unique. */
export const POSTING = {
  paymentApplied: 'payment_applied',
  paymentUnapplied: 'payment_unapplied',
  refund: 'refund',
} as const;

/** Commission on a payment: floor(amount × bps / 10 000), in integer arithmetic. */
export function commissionOf(amount: number, commissionBps: number): number {
  return Number((BigInt(amount) * BigInt(commissionBps)) / 10_000n);
}

/**
 * The commission a refund reverses: proportional to the refunded fraction of the payment,
 * computed cumulatively so rounding never drifts — after refunds totalling R of a payment P that
 * was charged commission C, exactly floor(C × R / P) has been reversed. The total reversed
 * therefore never exceeds C, and a full refund reverses exactly C.
 */
export function refundCommissionShare(o: { paid: number; charged: number; refundedBefore: number; reversedBefore: number; amount: number }): number {
  if (o.paid <= 0) return 0;
  const after = (BigInt(o.charged) * BigInt(o.refundedBefore + o.amount)) / BigInt(o.paid);
  const share = Number(after) - o.reversedBefore;
  return Math.min(Math.max(share, 0), o.amount);
}
