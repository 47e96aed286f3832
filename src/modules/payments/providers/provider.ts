/**
 * The one interface every payment provider implements (MTN MoMo, Stripe, ...). The payment flow
 * talks only to this, through the registry (registry.ts), which adds circuit breakers and
 * failover. Rules every adapter follows:
 *  - amounts are integers in the currency's minor unit (RWF/UGX have none; see money.ts);
 *  - calls are idempotent by our ids: `initiate` by paymentId, `refund` by refundId — retrying
 *    after a crash or timeout never charges or refunds twice;
 *  - errors are AppErrors from providers.errors.ts: `provider_unavailable` / `provider_misconfigured`
 *    mean "this provider cannot serve now" (breaker counts it, registry fails over), while
 *    `provider_rejected` is a business refusal (bad payer, currency...) that no other provider
 *    would fix;
 *  - never call a provider inside a database transaction.
 */

export type PaymentMethod = 'momo' | 'card';

export const PAYMENT_METHODS: readonly PaymentMethod[] = ['momo', 'card'];

/** Normalized status of a payment or refund at the provider. */
export type ProviderStatus = 'pending' | 'succeeded' | 'failed';

export interface InitiateInput {
  /** Our payment id (a UUID). MoMo uses it as X-Reference-Id, Stripe as the idempotency key. */
  paymentId: string;
  /** Integer, in the currency's minor unit. */
  amount: number;
  /** ISO 4217, upper case. */
  currency: string;
  /** E.164 (+250788123456). Required for momo. */
  payerPhone?: string;
  /** Shown to the payer where the provider supports it (MoMo payerMessage, Stripe description). */
  description: string;
  /** Where the provider should call back (MoMo X-Callback-Url); default from configuration. */
  callbackUrl?: string;
}

/** What the client must do next to complete the payment. */
export type NextAction =
  | { type: 'approve_on_phone'; message: string; phone: string }
  | { type: 'confirm_card'; clientSecret: string; publishableKey?: string };

export interface InitiateResult {
  status: 'pending';
  /** The provider's id for this payment: MoMo = our paymentId (X-Reference-Id), Stripe = pi_... */
  providerRef: string;
  clientSecret?: string;
  nextAction: NextAction;
}

export interface StatusResult {
  status: ProviderStatus;
  /** Provider's reason for a failure (e.g. APPROVAL_REJECTED, EXPIRED, card_declined). */
  reason?: string;
  /** The provider's own status object, for logs and audit. */
  raw: unknown;
}

export interface RefundInput {
  paymentId: string;
  /** Our refund id (a UUID): MoMo X-Reference-Id of the refund, Stripe idempotency key. */
  refundId: string;
  /** providerRef of the payment being refunded. */
  providerRef: string;
  /** Integer, minor unit; at most the payment's amount. */
  amount: number;
  currency: string;
  /** Free text for the payer / audit (MoMo payeeNote, Stripe metadata.reason). */
  note?: string;
}

export interface RefundResult {
  status: ProviderStatus;
  /** The provider's id for the refund: MoMo = our refundId, Stripe = re_... */
  providerRef: string;
  reason?: string;
}

export interface WebhookInput {
  /** Lower-cased header names, as Node gives them. */
  headers: Record<string, string | string[] | undefined>;
  /** The exact bytes received (signatures are computed over them). */
  rawBody: Buffer | string;
}

export interface WebhookEvent {
  /** Unique per provider: the inbox key. Redeliveries of the same event carry the same id. */
  eventId: string;
  /** What the event is about; 'ignored' for event types the flow does not act on. */
  type: 'payment' | 'refund' | 'ignored';
  /** The provider's own event type (payment_intent.succeeded, momo.requesttopay, ...). */
  providerType: string;
  /** providerRef of the payment (type payment) or of the refund (type refund), when known. */
  providerRef: string | null;
  /** Our payment id when the provider echoes it back (MoMo externalId, Stripe metadata). */
  paymentId?: string;
  /** Our refund id when the provider echoes it back. */
  refundId?: string;
  /** providerRef of the payment a refund event belongs to, when known. */
  paymentProviderRef?: string;
  status?: ProviderStatus;
  reason?: string;
  /**
   * True when the provider signed the event (Stripe). False for unsigned callbacks (MoMo): such
   * an event is only a HINT — confirm with getStatus / getRefundStatus before applying it.
   */
  verified: boolean;
  raw: unknown;
}

export interface PaymentProvider {
  /** Registry name, e.g. 'momo', 'stripe'. Also the {provider} of /webhooks/{provider}. */
  readonly name: string;
  readonly methods: readonly PaymentMethod[];
  /** ISO 4217 codes this provider takes, or '*' for any. */
  readonly currencies: readonly string[] | '*';
  initiate(input: InitiateInput): Promise<InitiateResult>;
  getStatus(providerRef: string): Promise<StatusResult>;
  refund(input: RefundInput): Promise<RefundResult>;
  getRefundStatus(refundProviderRef: string): Promise<RefundResult & { raw: unknown }>;
  /** Verifies (where the provider signs) and parses a webhook; throws `invalid_signature` / `invalid_webhook`. */
  verifyWebhook(input: WebhookInput): WebhookEvent;
}

export function supports(provider: PaymentProvider, method: PaymentMethod, currency: string): boolean {
  return (
    provider.methods.includes(method) &&
    (provider.currencies === '*' || provider.currencies.includes(currency.toUpperCase()))
  );
}
