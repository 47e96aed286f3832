import type { Logger } from 'pino';
import { AppError } from '../../platform/errors.js';
import { Coalescer } from '../../platform/coalescer.js';
import type { Metrics } from '../../platform/observability/metrics.js';
import type { RefundsService } from '../refunds/refunds.service.js';
import type { ProviderRegistry, ProviderStatus, WebhookEvent } from './providers/index.js';
import { paymentErrors } from './payments.errors.js';
import type { PaymentsRepository } from './payments.repository.js';
import type { PaymentsService } from './payments.service.js';

/** What the inbox keeps of an event: the normalized fields and the provider's own body. */
export type StoredWebhookEvent = Omit<WebhookEvent, 'raw'> & { raw: unknown };

/** An event naming a payment we do not know yet is retried this long (the provider may be faster than our own write). */
const UNKNOWN_PAYMENT_GRACE_MS = 10 * 60 * 1000;

export class WebhookRetryLater extends Error {}

/**
 * Provider webhooks: the inbox (receive: verify, store once, enqueue — milliseconds) and the
 * processing job (process: idempotent, order-tolerant). MoMo callbacks are unsigned hints: the
 * status GET decides. Stripe's signed events are the truth.
 */
export class PaymentWebhooks {
  /** Group commit of the inbox: concurrent deliveries share one INSERT + enqueue statement. */
  private readonly inbox: Coalescer<Parameters<PaymentsRepository['insertWebhookEvents']>[0][number], string | null>;

  constructor(
    private readonly d: {
      repo: PaymentsRepository;
      payments: PaymentsService;
      providers: ProviderRegistry;
      refunds: RefundsService;
      metrics: Metrics;
      log: Logger;
    },
  ) {
    this.inbox = new Coalescer((items) => d.repo.insertWebhookEvents(items), { maxBatch: 500, maxWaitMs: 0, maxInFlight: 4 });
  }

  /** Verify and store; returns whether the event was new. Throws invalid_signature / invalid_webhook / 404. */
  async receive(provider: string, input: { headers: Record<string, string | string[] | undefined>; rawBody: Buffer }): Promise<{ duplicate: boolean; eventId: string }> {
    const { providers, metrics, log } = this.d;
    if (!providers.has(provider)) throw paymentErrors.unknownWebhookProvider(provider);
    let event: WebhookEvent;
    try {
      event = providers.verifyWebhook(provider, input);
    } catch (e) {
      const code = e instanceof AppError ? e.code : 'error';
      metrics.webhooksReceived.inc({ provider, result: code === 'invalid_signature' ? 'bad_signature' : 'rejected' });
      log.warn({ provider, code, err: (e as Error).message, bytes: input.rawBody.length }, 'webhook refused');
      throw e;
    }
    const stored: StoredWebhookEvent = { ...event };
    const id = await this.inbox.submit({
      provider,
      eventId: event.eventId,
      type: event.providerType,
      providerRef: event.providerRef,
      payload: JSON.stringify(stored),
    });
    metrics.webhooksReceived.inc({ provider, result: id ? 'accepted' : 'duplicate' });
    return { duplicate: id === null, eventId: event.eventId };
  }

  /** The `process_webhook_event` job. Safe to run any number of times. */
  async process(eventRowId: string): Promise<'processed' | 'ignored' | 'failed' | 'skipped'> {
    const { repo, providers, payments, refunds, log } = this.d;
    const row = await repo.findWebhookEvent(eventRowId);
    if (!row || row.status !== 'received') return 'skipped';
    const ev = row.payload as StoredWebhookEvent;
    try {
      if (ev.type === 'ignored') {
        await repo.finishWebhookEvent(row.id, 'ignored', `event type ${ev.providerType} is not used`);
        return 'ignored';
      }
      if (ev.type === 'payment') {
        let payment = ev.paymentId ? await repo.findById(ev.paymentId) : undefined;
        if (!payment && ev.providerRef) payment = await repo.findByProviderRef(row.provider, ev.providerRef);
        if (!payment) {
          if (Date.now() - row.received_at.getTime() < UNKNOWN_PAYMENT_GRACE_MS) throw new WebhookRetryLater(`no payment for ${ev.paymentId ?? ev.providerRef} yet`);
          await repo.finishWebhookEvent(row.id, 'failed', 'unknown payment');
          log.warn({ eventId: row.event_id, provider: row.provider }, 'webhook names an unknown payment');
          return 'failed';
        }
        let status: ProviderStatus;
        let reason: string | undefined;
        if (ev.verified) {
          if (payment.provider !== row.provider) {
            await repo.finishWebhookEvent(row.id, 'ignored', `payment ${payment.id} belongs to provider ${payment.provider}`);
            return 'ignored';
          }
          status = ev.status ?? 'pending';
          reason = ev.reason;
        } else {
          // An unsigned hint: ask the provider that took the payment.
          const ref = payment.provider_ref ?? ev.providerRef;
          if (!ref) throw new WebhookRetryLater('payment has no provider reference yet');
          const s = await providers.getStatus(payment.provider, ref);
          status = s.status;
          reason = s.reason;
        }
        const result = await payments.applyPaymentStatus(payment.id, status, reason);
        await repo.finishWebhookEvent(row.id, 'processed');
        log.debug({ eventId: row.event_id, paymentId: payment.id, status, result }, 'payment webhook processed');
        return 'processed';
      }
      // Refund events: the refunds module owns refunds; unsigned hints are confirmed first.
      let status: ProviderStatus = ev.status ?? 'pending';
      let reason = ev.reason;
      if (!ev.verified) {
        if (!ev.providerRef) throw new Error('unsigned refund event without a reference');
        const s = await providers.getRefundStatus(row.provider, ev.providerRef);
        status = s.status;
        reason = s.reason;
      }
      await refunds.applyProviderUpdate({
        provider: row.provider,
        ...(ev.refundId ? { refundId: ev.refundId } : {}),
        ...(ev.providerRef ? { providerRef: ev.providerRef } : {}),
        status,
        ...(reason ? { reason } : {}),
      });
      await repo.finishWebhookEvent(row.id, 'processed');
      return 'processed';
    } catch (e) {
      await repo.noteWebhookAttempt(row.id, (e as Error).message.slice(0, 500));
      throw e;
    }
  }
}
