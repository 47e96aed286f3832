import { BOOKING_CONFIRMED_TASK } from '../tickets/tickets.repository.js';
import { bookingTokenMatches } from '../bookings/bookings.service.js';
import type { OrganizersService } from '../organizers/organizers.service.js';
import type { AuditService } from '../audit/audit.service.js';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import type { Actor } from '../../platform/actor.js';
import { withRetry, type Db } from '../../platform/db/database.js';
import type { PaymentMethod, PaymentStatus } from '../../platform/db/schema.js';
import { errors, isAppError } from '../../platform/errors.js';
import { uuidv7 } from '../../platform/ids.js';
import type { Metrics } from '../../platform/observability/metrics.js';
import type { HealthHooks } from '../../platform/observability/healthHooks.js';
import type { BookingsService } from '../bookings/bookings.service.js';
import type { LedgerService } from '../ledger/ledger.service.js';
import type { RefundsService } from '../refunds/refunds.service.js';
import { formatMoney, providerErrors, type NextAction, type ProviderRegistry } from './providers/index.js';
import { decide, scoreFraud } from './fraud.js';
import { paymentErrors } from './payments.errors.js';
import { PaymentWebhooks } from './payments.webhooks.js';
import {
  PaymentsRepository,
  pollJobKey,
  POLL_PAYMENT_TASK,
  type PayableBooking,
  type PaymentRow,
} from './payments.repository.js';

export interface PaymentView {
  id: string;
  bookingId: string;
  status: PaymentStatus;
  outcome: PaymentRow['outcome'];
  outcomeReason: string | null;
  method: PaymentMethod;
  provider: string;
  amount: number;
  currency: string;
  payerPhone: string | null;
  failureReason: string | null;
  reviewStatus: PaymentRow['review_status'];
  createdAt: string;
  succeededAt: string | null;
  failedAt: string | null;
  /** Only on creation: what the client must do next. */
  nextAction?: NextAction;
  /** Fraud score and reasons: admins and the organizer's members only. */
  fraud?: { score: number; reasons: PaymentRow['fraud_reasons']; reviewedAt: string | null; reviewNote: string | null };
}

export interface CreatePaymentInput {
  method: PaymentMethod;
  phone?: string;
}

export type ApplyResult = 'unchanged' | 'failed' | 'applied' | 'refunded_late' | 'refunded_duplicate';

interface Deps {
  db: Db;
  config: Config;
  log: Logger;
  metrics: Metrics;
  paymentProviders: ProviderRegistry;
  bookings: BookingsService;
  ledger: LedgerService;
  refunds: RefundsService;
  audit: AuditService;
  organizers: OrganizersService;
  health?: HealthHooks;
}

const SETTLED_BOOKING = new Set(['confirmed', 'refunded', 'partially_refunded']);

/**
 * The payment flow (invariant 3: no payment is ever lost or applied twice):
 *  - create: fraud check and a pending payment row (committed), then the provider call OUTSIDE
 *    any transaction, with failover; a keyed `poll_payment` job is enqueued with the row, so even
 *    a crash right after the provider call leaves a job that finds out how it went;
 *  - applyPaymentStatus: the one place a provider's answer changes state, monotonic (succeeded
 *    is final) and idempotent; a success is applied in one transaction with the booking locked:
 *    confirm, re-take released inventory, or refund automatically (late / duplicate);
 *  - poll: status polling with back-off until final or PAYMENT_PENDING_TIMEOUT_SECONDS.
 */
export class PaymentsService {
  readonly repo: PaymentsRepository;
  readonly webhooks: PaymentWebhooks;
  private localBaseUrl: string | undefined;

  constructor(private readonly d: Deps) {
    this.repo = new PaymentsRepository(d.db);
    this.webhooks = new PaymentWebhooks({
      repo: this.repo,
      payments: this,
      providers: d.paymentProviders,
      refunds: d.refunds,
      metrics: d.metrics,
      log: d.log.child({ module: 'payment-webhooks' }),
    });
    // Breaker states of the providers for GET /health/detailed.
    d.health?.setProviderStates(() =>
      d.paymentProviders.breakerStates().map((b) => ({ name: b.provider, state: b.state, details: { methods: [...b.methods], ...b.stats } })),
    );
  }

  /** The server's own address once it listens (PORT=0 in tests): used for the MoMo callback URL. */
  setLocalBaseUrl(url: string) {
    this.localBaseUrl = url.replace(/\/+$/, '');
  }

  /** Where MoMo should call back: MOMO_CALLBACK_URL, else PUBLIC_URL, else this server. */
  callbackUrl(): string {
    const { config } = this.d;
    if (config.MOMO_CALLBACK_URL) return config.MOMO_CALLBACK_URL;
    const base = config.PUBLIC_URL?.replace(/\/+$/, '') ?? this.localBaseUrl ?? `http://127.0.0.1:${config.PORT}`;
    return `${base}/api/v1/webhooks/momo`;
  }

  // --- access --------------------------------------------------------------------------------

  /** 'pay': the buyer, a guest with the token, an admin. 'read': also the organizer's members. */
  private async access(actor: Actor | null, b: PayableBooking, token: string | undefined): Promise<'none' | 'read' | 'pay'> {
    if (bookingTokenMatches(b.access_token_hash, token)) return 'pay';
    if (!actor) return 'none';
    if (actor.isAdmin || (b.user_id !== null && b.user_id === actor.userId)) return 'pay';
    return (await this.d.organizers.accessOf(actor, b.organizer_id)) ? 'read' : 'none';
  }

  private async bookingFor(actor: Actor | null, bookingId: string, token: string | undefined, need: 'read' | 'pay') {
    if (!actor && !token) throw errors.unauthenticated('Sign in, or pass the booking access token (X-Booking-Token header or ?token=).');
    const b = await this.repo.findBooking(bookingId);
    const access = b ? await this.access(actor, b, token) : 'none';
    if (!b || access === 'none') throw paymentErrors.bookingNotFound(bookingId);
    if (need === 'pay' && access !== 'pay') throw errors.forbidden('Only the buyer (or a guest with the booking token) or an admin can pay for a booking.');
    return { booking: b, access };
  }

  // --- create --------------------------------------------------------------------------------

  async create(actor: Actor | null, bookingId: string, token: string | undefined, input: CreatePaymentInput, clientIp: string | null): Promise<PaymentView> {
    const { config, metrics, paymentProviders: providers, log } = this.d;
    const { booking: b } = await this.bookingFor(actor, bookingId, token, 'pay');
    if (b.status !== 'pending') throw paymentErrors.bookingNotPending(b.id, b.status);
    if (b.expires_at.getTime() <= Date.now()) throw paymentErrors.holdExpired(b.id, b.expires_at);

    let payerPhone: string | null = null;
    if (input.method === 'momo') {
      const raw = (input.phone ?? b.buyer_phone).trim();
      const phone = parsePhoneNumberFromString(raw);
      if (!phone || !phone.isValid()) {
        throw paymentErrors.invalid([{ field: input.phone ? 'phone' : 'buyer.phone', message: 'must be a valid mobile number in international format, e.g. +250788123456' }]);
      }
      payerPhone = phone.number;
    } else if (input.phone !== undefined) {
      throw paymentErrors.invalid([{ field: 'phone', message: 'is only for mobile money payments (method momo)' }]);
    }
    const candidates = providers.candidates(input.method, b.currency);
    if (candidates.length === 0) throw providerErrors.methodUnavailable(input.method, b.currency);

    // (1) Fraud check and the payment row (pending, or failed 'blocked'), committed before any provider call.
    const signals = await this.repo.findFraudSignals({ phone: payerPhone, email: b.buyer_email, ip: clientIp, userId: actor?.userId ?? null, eventId: b.event_id, amount: b.total });
    const fraud = scoreFraud(signals);
    const decision = decide(fraud.score, { block: config.FRAUD_BLOCK_SCORE, review: config.FRAUD_REVIEW_SCORE });
    metrics.fraudDecisions.inc({ decision });
    const paymentId = uuidv7();
    const row = await this.d.db.transaction().execute(async (tx) => {
      const p = await this.repo.insertPayment(tx, {
        id: paymentId,
        bookingId: b.id,
        userId: actor && actor.userId === b.user_id ? actor.userId : b.user_id,
        method: input.method,
        provider: candidates[0]!.name,
        amount: b.total,
        currency: b.currency,
        payerPhone,
        clientIp,
        fraudScore: fraud.score,
        fraudReasons: fraud.reasons,
        reviewStatus: decision === 'review' ? 'pending' : null,
        ...(decision === 'block' ? { failureReason: 'blocked' } : {}),
      });
      if (decision !== 'block') {
        await this.repo.enqueue(tx, POLL_PAYMENT_TASK, { paymentId, attempt: 0 }, {
          runAt: new Date(Date.now() + config.PAYMENT_POLL_INITIAL_SECONDS * 1000),
          jobKey: pollJobKey(paymentId),
        });
      }
      return p;
    });
    if (decision === 'block') {
      log.warn({ paymentId, bookingId: b.id, score: fraud.score, reasons: fraud.reasons.map((r) => r.code) }, 'payment blocked by fraud checks');
      metrics.paymentsTotal.inc({ provider: row.provider, outcome: 'failed' });
      throw paymentErrors.blocked(paymentId, fraud.score);
    }

    // (2) The provider, outside any transaction, with failover.
    let started;
    try {
      started = await providers.initiateWithFailover(input.method, b.currency, {
        paymentId,
        amount: b.total,
        currency: b.currency,
        ...(payerPhone ? { payerPhone } : {}),
        description: `Tikiti booking ${b.id.slice(0, 8)}: ${formatMoney(b.total, b.currency)}`,
        ...(input.method === 'momo' ? { callbackUrl: this.callbackUrl() } : {}),
      });
    } catch (e) {
      const code = isAppError(e) ? e.code : 'error';
      if (code === 'provider_unavailable' || code === 'provider_misconfigured') {
        await this.repo.failPending(paymentId, 'provider_unavailable');
        metrics.paymentsTotal.inc({ provider: row.provider, outcome: 'error' });
        log.error({ paymentId, err: (e as Error).message }, 'every payment provider is unavailable');
        throw paymentErrors.providerUnavailable(paymentId, input.method, b.currency);
      }
      if (code === 'provider_rejected') {
        const reason = String((e as { details: { reason?: unknown } }).details.reason ?? 'rejected');
        const provider = String((e as { details: { provider?: unknown } }).details.provider ?? row.provider);
        await this.repo.failPending(paymentId, reason);
        metrics.paymentsTotal.inc({ provider, outcome: 'failed' });
        throw paymentErrors.rejected(paymentId, provider, reason);
      }
      await this.repo.failPending(paymentId, code);
      metrics.paymentsTotal.inc({ provider: row.provider, outcome: 'error' });
      throw e;
    }

    // (3) Remember who took it; the poll job (already queued) follows it from here.
    await this.repo.setProviderRef(paymentId, started.provider, started.providerRef);
    metrics.paymentsTotal.inc({ provider: started.provider, outcome: 'pending' });
    log.info({ paymentId, bookingId: b.id, provider: started.provider, skipped: started.skipped, fraudScore: fraud.score }, 'payment initiated');
    const view = toView({ ...row, provider: started.provider, provider_ref: started.providerRef }, false);
    return { ...view, nextAction: started.nextAction };
  }

  // --- read ----------------------------------------------------------------------------------

  async get(actor: Actor | null, id: string, token?: string): Promise<PaymentView> {
    if (!actor && !token) throw errors.unauthenticated('Sign in, or pass the booking access token (X-Booking-Token header or ?token=).');
    const p = await this.repo.findById(id);
    if (!p) throw paymentErrors.notFound(id);
    const b = await this.repo.findBooking(p.booking_id);
    const access = b ? await this.access(actor, b, token) : 'none';
    if (access === 'none') throw paymentErrors.notFound(id);
    return toView(p, Boolean(actor?.isAdmin) || access === 'read');
  }

  async listForBooking(actor: Actor | null, bookingId: string, token?: string): Promise<PaymentView[]> {
    const { access } = await this.bookingFor(actor, bookingId, token, 'read');
    const rows = await this.repo.listByBooking(bookingId);
    return rows.map((p) => toView(p, Boolean(actor?.isAdmin) || access === 'read'));
  }

  // --- applying provider answers --------------------------------------------------------------

  /**
   * The one function that turns a provider's answer into state. Idempotent and monotonic:
   * pending changes nothing; failed only moves a pending payment (a failed after succeeded is
   * ignored); succeeded moves pending or failed (a late success after a timeout still counts)
   * and applies the money in ONE transaction with the booking row locked.
   */
  async applyPaymentStatus(paymentId: string, status: PaymentStatus, reason?: string): Promise<ApplyResult> {
    const { metrics, log } = this.d;
    if (status === 'pending') return 'unchanged';
    if (status === 'failed') {
      const p = await this.repo.findById(paymentId);
      if (!p) return 'unchanged';
      const changed = await this.repo.failPending(paymentId, reason ?? 'failed');
      if (changed) {
        metrics.paymentsTotal.inc({ provider: p.provider, outcome: reason === 'timeout' ? 'timeout' : 'failed' });
        log.info({ paymentId, bookingId: p.booking_id, reason }, 'payment failed; the booking stays pending for a retry');
      }
      return changed ? 'failed' : 'unchanged';
    }
    const result = await withRetry(() => this.d.db.transaction().execute(async (tx) => this.applySuccess(tx, paymentId)));
    if (result.kind === 'unchanged') return 'unchanged';
    metrics.paymentsTotal.inc({ provider: result.provider, outcome: 'succeeded' });
    if (result.kind === 'applied') {
      metrics.bookingsConfirmed.inc();
      log.info({ paymentId, bookingId: result.bookingId, why: result.why }, 'payment applied; booking confirmed');
    } else {
      log.warn({ paymentId, bookingId: result.bookingId, outcome: result.kind, why: result.why }, 'successful payment could not be applied; refunding automatically');
    }
    return result.kind;
  }

  private async applySuccess(tx: Parameters<LedgerService['postPaymentApplied']>[0], paymentId: string): Promise<
    { kind: 'unchanged' } | { kind: 'applied' | 'refunded_late' | 'refunded_duplicate'; bookingId: string; provider: string; why: string | null }
  > {
    const first = await this.repo.findById(paymentId, tx);
    if (!first || first.status === 'succeeded') return { kind: 'unchanged' };
    // Lock order everywhere: booking, then payment.
    const b = await this.repo.lockBooking(tx, first.booking_id);
    const p = await this.repo.lockPayment(tx, paymentId);
    if (!b || !p || p.status === 'succeeded') return { kind: 'unchanged' };

    let kind: 'applied' | 'refunded_late' | 'refunded_duplicate';
    let why: string | null = null;
    let moves: { ticketTypeId: string; quantity: number }[] = [];
    if (SETTLED_BOOKING.has(b.status) || (await this.repo.hasAppliedPayment(tx, b.id, p.id))) {
      kind = 'refunded_duplicate';
      why = `booking already ${b.status === 'pending' ? 'paid' : b.status} by another payment`;
    } else if (b.status === 'pending') {
      const confirmed = await this.d.bookings.repo.confirmPending(tx, b.id);
      if (!confirmed) throw new Error(`booking ${b.id} is locked pending but did not confirm`);
      moves = confirmed;
      kind = 'applied';
      if (b.expires_at.getTime() <= Date.now()) why = 'paid after the hold time but before the hold was released';
    } else {
      // expired or cancelled: the hold was released; take the inventory again if it is still there.
      const r = await this.d.bookings.repo.retakeAndConfirm(tx, b.id);
      if (r.ok) {
        kind = 'applied';
        why = `paid after the booking was ${b.status}; inventory re-taken`;
      } else {
        kind = 'refunded_late';
        why = `paid after the booking was ${b.status} and the inventory is gone: ${r.shortOf
          .map((s) => `ticket type ${s.ticketTypeId} has ${s.remaining} left of ${s.wanted} needed`)
          .join('; ') || 'no holds to re-take'}`;
      }
    }

    await this.repo.markSucceeded(tx, p.id, kind, why);
    const posting = { paymentId: p.id, bookingId: b.id, organizerId: b.organizer_id, provider: p.provider, amount: p.amount, currency: p.currency };
    if (kind === 'applied') {
      await this.d.ledger.postPaymentApplied(tx, { ...posting, commissionBps: b.commission_bps });
      // The tickets hook (tickets are issued by the tickets module) and the buyer's notification.
      await this.repo.enqueue(tx, BOOKING_CONFIRMED_TASK, { bookingId: b.id, paymentId: p.id }, { jobKey: `booking-confirmed:${b.id}` });
    } else {
      await this.d.ledger.postPaymentUnapplied(tx, posting);
      await this.d.refunds.createAutoRefund(tx, { paymentId: p.id, reason: kind === 'refunded_late' ? 'late_payment' : 'duplicate_payment' });
    }
    // Last: the hot ticket-type row is locked only for this statement and the commit (a flash
    // sale confirms thousands of payments against one row).
    await this.d.bookings.repo.moveHeldToSold(tx, moves);
    return { kind, bookingId: b.id, provider: p.provider, why };
  }

  // --- polling -------------------------------------------------------------------------------

  /** Back-off of the n-th poll (0-based): initial × 2^n, capped. */
  pollDelaySeconds(attempt: number): number {
    const { PAYMENT_POLL_INITIAL_SECONDS: first, PAYMENT_POLL_MAX_SECONDS: cap } = this.d.config;
    return Math.min(cap, first * 2 ** Math.min(attempt, 20));
  }

  /**
   * One poll of a pending payment: ask the provider (the truth), apply a final answer; past
   * PAYMENT_PENDING_TIMEOUT_SECONDS mark it failed with reason 'timeout' (a later success still
   * applies); otherwise schedule the next poll. Returns the next run time, or null when done.
   */
  async poll(paymentId: string, attempt: number): Promise<Date | null> {
    const { config, log } = this.d;
    const p = await this.repo.findById(paymentId);
    if (!p || p.status !== 'pending') return null;
    await this.repo.incrementPollAttempts(paymentId);
    if (p.provider_ref) {
      try {
        const s = await this.d.paymentProviders.getStatus(p.provider, p.provider_ref);
        if (s.status !== 'pending') {
          await this.applyPaymentStatus(paymentId, s.status, s.reason);
          return null;
        }
      } catch (e) {
        log.warn({ paymentId, provider: p.provider, err: (e as Error).message }, 'payment status poll failed; will retry');
      }
    }
    const ageMs = Date.now() - p.created_at.getTime();
    if (ageMs >= config.PAYMENT_PENDING_TIMEOUT_SECONDS * 1000) {
      await this.applyPaymentStatus(paymentId, 'failed', 'timeout');
      return null;
    }
    const remainingMs = config.PAYMENT_PENDING_TIMEOUT_SECONDS * 1000 - ageMs;
    const next = new Date(Date.now() + Math.min(this.pollDelaySeconds(attempt + 1) * 1000, remainingMs + 50));
    await this.repo.enqueue(this.d.db, POLL_PAYMENT_TASK, { paymentId, attempt: attempt + 1 }, { runAt: next, jobKey: pollJobKey(paymentId) });
    return next;
  }

  // --- fraud review --------------------------------------------------------------------------

  async listFlagged(actor: Actor, o: { limit: number; cursor?: string }): Promise<{ items: PaymentView[]; nextCursor: string | null }> {
    if (!actor.isAdmin) throw errors.forbidden('Only platform admins review flagged payments.');
    const rows = await this.repo.listFlagged({ limit: o.limit + 1, before: o.cursor });
    const page = rows.slice(0, o.limit);
    return { items: page.map((p) => toView(p, true)), nextCursor: rows.length > o.limit ? page[page.length - 1]!.id : null };
  }

  /**
   * An admin resolves a flagged payment. approve: the flag is cleared, nothing else changes.
   * reject: recorded; a payment still pending is marked failed (reason `review_rejected`) so the
   * poller stops following it (should the provider still report a success later, it is applied —
   * money is never dropped — and the admin refunds it through the refunds API). A rejected payment
   * that already succeeded is not undone here: the answer says `refundRecommended` and the admin
   * refunds the booking through POST /bookings/{id}/refunds.
   */
  async review(actor: Actor, id: string, o: { decision: 'approve' | 'reject'; note?: string }): Promise<PaymentView & { refundRecommended: boolean }> {
    if (!actor.isAdmin) throw errors.forbidden('Only platform admins review flagged payments.');
    const decision = o.decision === 'approve' ? 'approved' : 'rejected';
    const note = o.note?.trim() || null;
    const row = await this.d.db.transaction().execute(async (tx) => {
      const resolved = await this.repo.resolveReview(id, { decision, by: actor.userId, note }, tx);
      if (resolved) {
        await this.d.audit.record(tx, {
          actor,
          action: 'payment.review_resolved',
          target: { type: 'payment', id },
          before: { reviewStatus: 'pending' },
          after: { reviewStatus: decision, note },
        });
      }
      return resolved;
    });
    if (!row) {
      const p = await this.repo.findById(id);
      if (!p) throw paymentErrors.notFound(id);
      throw paymentErrors.reviewNotPending(id, p.review_status);
    }
    if (decision === 'rejected' && row.status === 'pending') await this.applyPaymentStatus(id, 'failed', 'review_rejected');
    this.d.log.info({ paymentId: id, decision, by: actor.userId }, 'flagged payment reviewed');
    const now = (await this.repo.findById(id))!;
    return { ...toView(now, true), refundRecommended: decision === 'rejected' && now.status === 'succeeded' && now.outcome === 'applied' };
  }
}

export function toView(p: PaymentRow, withFraud: boolean): PaymentView {
  return {
    id: p.id,
    bookingId: p.booking_id,
    status: p.status,
    outcome: p.outcome,
    outcomeReason: p.outcome_reason,
    method: p.method,
    provider: p.provider,
    amount: p.amount,
    currency: p.currency,
    payerPhone: p.payer_phone,
    failureReason: p.failure_reason,
    reviewStatus: p.review_status,
    createdAt: p.created_at.toISOString(),
    succeededAt: p.succeeded_at?.toISOString() ?? null,
    failedAt: p.failed_at?.toISOString() ?? null,
    ...(withFraud
      ? { fraud: { score: p.fraud_score, reasons: p.fraud_reasons, reviewedAt: p.reviewed_at?.toISOString() ?? null, reviewNote: p.review_note } }
      : {}),
  };
}
