import Stripe from 'stripe';
import { AppError } from '../../../platform/errors.js';
import { minorUnits } from './money.js';
import { providerErrors } from './providers.errors.js';
import type {
  InitiateInput,
  InitiateResult,
  PaymentMethod,
  PaymentProvider,
  ProviderStatus,
  RefundInput,
  RefundResult,
  StatusResult,
  WebhookEvent,
  WebhookInput,
} from './provider.js';

/**
 * Card payments through Stripe PaymentIntents with the official SDK. Amounts go in the
 * currency's minor unit — Stripe's zero-decimal currencies (RWF, UGX, JPY...) are exactly the ones
 * ISO 4217 gives no minor unit, so money.ts's minorUnits agrees with Stripe. Every create carries
 * an idempotency key (our payment id / refund id), so a retry never makes a second intent or
 * refund. Webhooks are verified with stripe.webhooks.constructEvent over the raw body.
 */
export interface StripeOptions {
  name?: string;
  secretKey: string;
  publishableKey?: string;
  webhookSecret?: string;
  /** Override of https://api.stripe.com (tests point it at a local fake). */
  apiBase?: string;
  timeoutMs: number;
  /** Signature tolerance in seconds (default 300, Stripe's). */
  toleranceSeconds?: number;
  maxNetworkRetries?: number;
}

export class StripeProvider implements PaymentProvider {
  readonly name: string;
  readonly methods: readonly PaymentMethod[] = ['card'];
  readonly currencies = '*' as const;
  readonly stripe: Stripe;

  constructor(private readonly opts: StripeOptions) {
    this.name = opts.name ?? 'stripe';
    const base = opts.apiBase ? new URL(opts.apiBase) : undefined;
    this.stripe = new Stripe(opts.secretKey, {
      timeout: opts.timeoutMs,
      maxNetworkRetries: opts.maxNetworkRetries ?? 1,
      telemetry: false,
      appInfo: { name: 'Tikiti' },
      ...(base
        ? {
            host: base.hostname,
            port: base.port || (base.protocol === 'http:' ? 80 : 443),
            protocol: base.protocol === 'http:' ? 'http' : 'https',
          }
        : {}),
    });
  }

  async initiate(input: InitiateInput): Promise<InitiateResult> {
    if (!Number.isSafeInteger(input.amount) || input.amount <= 0) throw providerErrors.invalidInput('amount', 'must be a positive integer in minor units');
    minorUnits(input.currency); // rejects codes that are not ISO 4217
    const intent = await this.guard(() =>
      this.stripe.paymentIntents.create(
        {
          amount: input.amount,
          currency: input.currency.toLowerCase(),
          automatic_payment_methods: { enabled: true },
          description: input.description,
          metadata: { paymentId: input.paymentId },
        },
        { idempotencyKey: input.paymentId },
      ),
    );
    if (!intent.client_secret) throw providerErrors.unavailable(this.name, 'PaymentIntent without client_secret');
    return {
      status: 'pending',
      providerRef: intent.id,
      clientSecret: intent.client_secret,
      nextAction: {
        type: 'confirm_card',
        clientSecret: intent.client_secret,
        ...(this.opts.publishableKey ? { publishableKey: this.opts.publishableKey } : {}),
      },
    };
  }

  async getStatus(providerRef: string): Promise<StatusResult> {
    const intent = await this.guard(() => this.stripe.paymentIntents.retrieve(providerRef), providerRef);
    return { ...mapIntentStatus(intent), raw: intent };
  }

  async refund(input: RefundInput): Promise<RefundResult> {
    if (!Number.isSafeInteger(input.amount) || input.amount <= 0) throw providerErrors.invalidInput('amount', 'must be a positive integer in minor units');
    const refund = await this.guard(() =>
      this.stripe.refunds.create(
        {
          payment_intent: input.providerRef,
          amount: input.amount,
          metadata: { paymentId: input.paymentId, refundId: input.refundId, ...(input.note ? { note: input.note.slice(0, 500) } : {}) },
        },
        { idempotencyKey: input.refundId },
      ),
    );
    const mapped = mapRefundStatus(refund);
    return { ...mapped, providerRef: refund.id };
  }

  async getRefundStatus(refundProviderRef: string): Promise<RefundResult & { raw: unknown }> {
    const refund = await this.guard(() => this.stripe.refunds.retrieve(refundProviderRef), refundProviderRef);
    return { ...mapRefundStatus(refund), providerRef: refund.id, raw: refund };
  }

  verifyWebhook(input: WebhookInput): WebhookEvent {
    if (!this.opts.webhookSecret) throw providerErrors.misconfigured(this.name, 'STRIPE_WEBHOOK_SECRET is not set');
    const sig = input.headers['stripe-signature'];
    const signature = Array.isArray(sig) ? sig[0] : sig;
    if (!signature) throw providerErrors.invalidSignature(this.name, 'the Stripe-Signature header is missing');
    let event: Stripe.Event;
    try {
      event = this.stripe.webhooks.constructEvent(input.rawBody, signature, this.opts.webhookSecret, this.opts.toleranceSeconds ?? 300);
    } catch (e) {
      if (e instanceof Stripe.errors.StripeSignatureVerificationError) {
        throw providerErrors.invalidSignature(this.name, e.message.split('\n')[0] ?? 'verification failed');
      }
      throw providerErrors.invalidWebhook(this.name, (e as Error).message);
    }
    return mapEvent(event);
  }

  /** Runs an SDK call and maps Stripe's errors to provider errors. */
  private async guard<T>(fn: () => Promise<T>, ref?: string): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw this.mapError(e, ref);
    }
  }

  private mapError(e: unknown, ref?: string): AppError {
    if (e instanceof AppError) return e;
    const E = Stripe.errors;
    if (e instanceof E.StripeError) {
      const what = `${e.type}${e.code ? ` ${e.code}` : ''}${e.statusCode ? ` (${e.statusCode})` : ''}`;
      if (e instanceof E.StripeInvalidRequestError && e.code === 'resource_missing' && ref) return providerErrors.refNotFound(this.name, ref);
      if (e instanceof E.StripeAuthenticationError || e instanceof E.StripePermissionError) return providerErrors.misconfigured(this.name, what);
      if (e instanceof E.StripeConnectionError || e instanceof E.StripeAPIError || e instanceof E.StripeRateLimitError) {
        return providerErrors.unavailable(this.name, what);
      }
      if (e.statusCode !== undefined && e.statusCode >= 500) return providerErrors.unavailable(this.name, what);
      // Card declined, invalid request, idempotency conflict: a business answer, not an outage.
      return providerErrors.rejected(this.name, e.code ?? e.type, `Stripe refused the request: ${e.message}`);
    }
    return providerErrors.unavailable(this.name, (e as Error)?.message ?? 'unknown error');
  }
}

export function mapIntentStatus(intent: Pick<Stripe.PaymentIntent, 'status' | 'last_payment_error' | 'cancellation_reason'>): {
  status: ProviderStatus;
  reason?: string;
} {
  switch (intent.status) {
    case 'succeeded':
      return { status: 'succeeded' };
    case 'canceled':
      return { status: 'failed', reason: intent.cancellation_reason ?? 'canceled' };
    case 'requires_payment_method':
      // Back here after an attempt: that attempt failed (the buyer may retry with a new payment).
      if (intent.last_payment_error) {
        return { status: 'failed', reason: intent.last_payment_error.decline_code ?? intent.last_payment_error.code ?? 'payment_failed' };
      }
      return { status: 'pending' };
    default:
      return { status: 'pending' };
  }
}

function mapRefundStatus(refund: Pick<Stripe.Refund, 'status' | 'failure_reason'>): { status: ProviderStatus; reason?: string } {
  switch (refund.status) {
    case 'succeeded':
      return { status: 'succeeded' };
    case 'failed':
    case 'canceled':
      return { status: 'failed', reason: refund.failure_reason ?? refund.status };
    default:
      return { status: 'pending' };
  }
}

function idOf(v: string | { id: string } | null | undefined): string | undefined {
  if (!v) return undefined;
  return typeof v === 'string' ? v : v.id;
}

/** Stripe events → the provider-neutral shape. Events the flow does not act on are 'ignored'. */
export function mapEvent(event: Stripe.Event): WebhookEvent {
  const base = { eventId: event.id, providerType: event.type, verified: true, raw: event };
  switch (event.type) {
    case 'payment_intent.succeeded':
    case 'payment_intent.payment_failed':
    case 'payment_intent.canceled':
    case 'payment_intent.processing': {
      const pi = event.data.object;
      const mapped =
        event.type === 'payment_intent.payment_failed'
          ? { status: 'failed' as const, reason: pi.last_payment_error?.decline_code ?? pi.last_payment_error?.code ?? 'payment_failed' }
          : mapIntentStatus(pi);
      return {
        ...base,
        type: 'payment',
        providerRef: pi.id,
        ...(pi.metadata?.paymentId ? { paymentId: pi.metadata.paymentId } : {}),
        ...mapped,
      };
    }
    case 'refund.created':
    case 'refund.updated':
    case 'refund.failed': {
      const refund = event.data.object;
      return {
        ...base,
        type: 'refund',
        providerRef: refund.id,
        ...(refund.metadata?.refundId ? { refundId: refund.metadata.refundId } : {}),
        ...(refund.metadata?.paymentId ? { paymentId: refund.metadata.paymentId } : {}),
        ...(idOf(refund.payment_intent) ? { paymentProviderRef: idOf(refund.payment_intent)! } : {}),
        ...mapRefundStatus(refund),
      };
    }
    case 'charge.refunded': {
      // A charge was (partly) refunded. Which refund is in refund.* events; this one names the
      // payment and, when Stripe included them, the latest refund.
      const charge = event.data.object;
      const latest = charge.refunds?.data?.[0];
      return {
        ...base,
        type: 'refund',
        providerRef: latest?.id ?? null,
        ...(latest?.metadata?.refundId ? { refundId: latest.metadata.refundId } : {}),
        ...(idOf(charge.payment_intent) ? { paymentProviderRef: idOf(charge.payment_intent)! } : {}),
        ...(latest ? mapRefundStatus(latest) : { status: 'succeeded' as const }),
      };
    }
    default:
      return { ...base, type: 'ignored', providerRef: null };
  }
}
