import type { AuditService } from '../audit/audit.service.js';
import type { TicketsService } from '../tickets/tickets.service.js';
import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import type { Actor } from '../../platform/actor.js';
import { isPgError, PgCode, withRetry, type Db, type Executor, type Tx } from '../../platform/db/database.js';
import type { RefundReason, RefundStatus } from '../../platform/db/schema.js';
import { AppError, errors, type FieldError } from '../../platform/errors.js';
import { uuidv7 } from '../../platform/ids.js';
import type { Metrics } from '../../platform/observability/metrics.js';
import type { BookingsService } from '../bookings/bookings.service.js';
import type { LedgerService } from '../ledger/ledger.service.js';
import { ANY_ROLE, MANAGER_ROLES, type OrganizersService } from '../organizers/organizers.service.js';
import { isProviderOutage, type ProviderRegistry } from '../payments/providers/index.js';
import { refundErrors } from './refunds.errors.js';
import { RefundsRepository, type RefundItem, type RefundRow } from './refunds.repository.js';

export interface RefundView {
  id: string;
  bookingId: string;
  paymentId: string;
  amount: number;
  currency: string;
  reason: RefundReason;
  note: string | null;
  items: RefundItem[];
  status: RefundStatus;
  provider: string;
  failureReason: string | null;
  attempts: number;
  createdAt: string;
  updatedAt: string;
  succeededAt: string | null;
  failedAt: string | null;
}

export interface RefundsDeps {
  config: Config;
  log: Logger;
  metrics: Metrics;
  ledger: LedgerService;
  organizers: OrganizersService;
  bookings: BookingsService;
  paymentProviders: ProviderRegistry;
  tickets: TicketsService;
  audit: AuditService;
}

export interface CancelledEventBatch {
  /** Bookings refunded in this batch. */
  refunded: number;
  /** Pending bookings cancelled (holds released). */
  cancelled: number;
  /** Bookings that could not be refunded (logged); the job retries the batch. */
  failed: string[];
  /** Cursor of the next batch, or null when the event has nothing left. */
  next: string | null;
  more: boolean;
}

/** failure_reason prefix of refunds WE declared failed (the provider never answered): its later "succeeded" still counts. */
const NO_ANSWER = 'no_provider_answer';
const MAX_POLL_DELAY_MS = 10 * 60_000;

export function toRefundView(r: RefundRow): RefundView {
  return {
    id: r.id,
    bookingId: r.booking_id,
    paymentId: r.payment_id,
    amount: r.amount,
    currency: r.currency.trim(),
    reason: r.reason,
    note: r.note,
    items: r.items,
    status: r.status,
    provider: r.provider,
    failureReason: r.failure_reason,
    attempts: r.attempts,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    succeededAt: r.succeeded_at?.toISOString() ?? null,
    failedAt: r.failed_at?.toISOString() ?? null,
  };
}

/**
 * Refunds — requested by organizers/admins, on event cancellation, and automatic for successful
 * payments that could not be applied.
 *
 * A refund is created in ONE transaction with everything it changes: the tickets it gives back
 * (holds.refunded_quantity, guarded), the inventory it releases (ticket_types.sold, guarded), the
 * payment's refunded amount (guarded ≤ amount), the booking's status, the ledger posting, and the
 * `process_refund` job. The provider is called by that job, after commit, outside any transaction;
 * its answer moves the refund pending → succeeded / failed, once. A refund that fails stays
 * `failed` with its reason, listed for operators (GET /api/v1/admin/refunds?status=failed and the
 * count in GET /api/v1/admin/ledger); the ledger keeps it as owed to the buyer.
 */
export class RefundsService {
  readonly repo: RefundsRepository;

  constructor(
    readonly db: Db,
    private readonly deps?: RefundsDeps,
  ) {
    this.repo = new RefundsRepository(db);
  }

  private get d(): RefundsDeps {
    if (!this.deps) throw new Error('RefundsService was built without its dependencies');
    return this.deps;
  }

  // ---- requested refunds (HTTP) ----

  /** Owners/managers of the event's organizer, or admins: refund some tickets, or everything not yet refunded. */
  async create(actor: Actor, bookingId: string, input: { items?: RefundItem[]; note?: string }): Promise<RefundView> {
    const booking = await this.repo.findBooking(bookingId);
    if (!booking) throw refundErrors.bookingNotFound(bookingId);
    const access = await this.d.organizers.accessOf(actor, booking.organizer_id);
    if (access === null) {
      if (booking.user_id === actor.userId) throw refundErrors.buyerCannotRefund();
      throw refundErrors.bookingNotFound(bookingId);
    }
    await this.d.organizers.requireRole(actor, booking.organizer_id, MANAGER_ROLES, () => refundErrors.bookingNotFound(bookingId));
    if (input.items) {
      const seen = new Set<string>();
      const fieldErrors: FieldError[] = [];
      input.items.forEach((item, i) => {
        if (seen.has(item.ticketTypeId)) fieldErrors.push({ field: `items.${i}.ticketTypeId`, message: 'appears twice; give one item per ticket type' });
        seen.add(item.ticketTypeId);
      });
      if (fieldErrors.length) throw refundErrors.invalid(fieldErrors);
    }
    const note = input.note?.trim() || null;
    const refund = await withRetry(() =>
      this.db.transaction().execute((tx) =>
        this.refundBooking(tx, { bookingId, items: input.items, reason: 'requested', note, requestedBy: actor.userId }),
      ),
    );
    if (!refund) throw refundErrors.nothingToRefund(bookingId); // unreachable: a free booking throws inside
    this.d.log.info({ refundId: refund.id, bookingId, amount: refund.amount, currency: refund.currency }, 'refund created');
    return toRefundView(refund);
  }

  /** The booking's buyer, the organizer's members and admins: the booking's refunds, oldest first. */
  async list(actor: Actor, bookingId: string): Promise<RefundView[]> {
    const booking = await this.repo.findBooking(bookingId);
    if (!booking) throw refundErrors.bookingNotFound(bookingId);
    if (booking.user_id !== actor.userId) {
      await this.d.organizers.requireRole(actor, booking.organizer_id, ANY_ROLE, () => refundErrors.bookingNotFound(bookingId));
    }
    return (await this.repo.listByBooking(bookingId)).map(toRefundView);
  }

  /** Admins: refunds by status, newest first (failed ones are what an operator must act on). */
  async listForAdmin(actor: Actor, o: { status?: RefundStatus; cursor?: string; limit: number }): Promise<{ items: RefundView[]; nextCursor: string | null }> {
    if (!actor.isAdmin) throw errors.forbidden('Only a platform admin can list every refund.');
    const rows = await this.repo.listRecent({ status: o.status, before: o.cursor, limit: o.limit + 1 });
    const page = rows.slice(0, o.limit);
    return { items: page.map(toRefundView), nextCursor: rows.length > o.limit ? page[page.length - 1]!.id : null };
  }

  countOpen(): Promise<{ failed: number; pending: number }> {
    return this.repo.countOpen();
  }

  /**
   * Inside `tx`: refund `items` of a booking (all that is left when undefined). Returns the refund,
   * or undefined when the booking cost nothing (its tickets are still given back).
   * Locks in a fixed order — booking, its holds, ticket types (by id), payment, ledger posting —
   * so concurrent refunds of one booking run one after the other and the second sees the first.
   */
  private async refundBooking(
    tx: Tx,
    o: { bookingId: string; items?: RefundItem[]; reason: 'requested' | 'event_cancelled'; note: string | null; requestedBy: string | null },
  ): Promise<RefundRow | undefined> {
    const booking = await this.repo.lockBooking(tx, o.bookingId);
    if (!booking) throw refundErrors.bookingNotFound(o.bookingId);
    if (booking.status !== 'confirmed' && booking.status !== 'partially_refunded') throw refundErrors.notRefundable(o.bookingId, booking.status);
    const holds = await this.repo.lockHolds(tx, o.bookingId);

    // What to give back, per hold.
    const take = new Map<string, number>();
    if (!o.items) {
      for (const h of holds) if (h.quantity > h.refunded_quantity) take.set(h.id, h.quantity - h.refunded_quantity);
    } else {
      const fieldErrors: FieldError[] = [];
      const short: { ticketTypeId: string; requested: number; remaining: number }[] = [];
      o.items.forEach((item, i) => {
        const mine = holds.filter((h) => h.ticket_type_id === item.ticketTypeId);
        if (mine.length === 0) {
          fieldErrors.push({ field: `items.${i}.ticketTypeId`, message: 'is not a ticket type of this booking' });
          return;
        }
        const remaining = mine.reduce((s, h) => s + h.quantity - h.refunded_quantity, 0);
        if (item.quantity > remaining) {
          short.push({ ticketTypeId: item.ticketTypeId, requested: item.quantity, remaining });
          return;
        }
        let left = item.quantity;
        for (const h of mine) {
          const n = Math.min(left, h.quantity - h.refunded_quantity);
          if (n > 0) take.set(h.id, n);
          left -= n;
        }
      });
      if (fieldErrors.length) throw refundErrors.invalid(fieldErrors);
      if (short.length) throw refundErrors.exceedsRemaining(short);
    }
    if (take.size === 0) throw refundErrors.notRefundable(o.bookingId, booking.status);

    let amount = 0;
    const perType = new Map<string, number>();
    for (const h of holds) {
      const n = take.get(h.id);
      if (!n) continue;
      // The guard is the truth; the arithmetic above only chose the numbers.
      if (!(await this.repo.refundHold(tx, h.id, n))) {
        throw refundErrors.exceedsRemaining([{ ticketTypeId: h.ticket_type_id, requested: n, remaining: h.quantity - h.refunded_quantity }]);
      }
      amount += n * h.unit_price;
      perType.set(h.ticket_type_id, (perType.get(h.ticket_type_id) ?? 0) + n);
    }
    for (const [ticketTypeId, n] of [...perType].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (!(await this.repo.releaseSold(tx, ticketTypeId, n))) {
        throw new Error(`refund of booking ${o.bookingId}: ticket type ${ticketTypeId} has fewer than ${n} sold (counter drift; run doctor)`);
      }
    }
    const items = [...perType].map(([ticketTypeId, quantity]) => ({ ticketTypeId, quantity }));
    // Refunded admissions stop verifying at the gate and reach offline scanners' revocation list.
    await this.d.tickets.revokeForBooking(o.bookingId, {}, tx);

    if (amount === 0) {
      // Free tickets: nothing to pay back. On cancellation they are given back all the same.
      if (o.reason === 'requested') throw refundErrors.nothingToRefund(o.bookingId);
      await this.repo.markBookingRefunded(tx, o.bookingId, 0);
      return undefined;
    }
    const payment = await this.repo.findAppliedPayment(tx, o.bookingId);
    if (!payment) throw refundErrors.notPaid(o.bookingId);
    if (!(await this.repo.addPaymentRefund(tx, payment.id, amount))) throw refundErrors.exceedsPayment(payment.id);
    try {
      await this.repo.markBookingRefunded(tx, o.bookingId, amount);
    } catch (e) {
      if (isPgError(e, PgCode.checkViolation)) throw refundErrors.exceedsPayment(payment.id);
      throw e;
    }
    const refund = await this.repo.insertRefund(tx, {
      id: uuidv7(),
      booking_id: o.bookingId,
      payment_id: payment.id,
      amount,
      currency: payment.currency.trim(),
      reason: o.reason,
      note: o.note,
      items,
      provider: payment.provider,
      requested_by: o.requestedBy,
    });
    // Only the cancellation refund is unique per booking; the booking lock makes that unreachable.
    if (!refund) throw errors.conflict('refund_exists', `Booking ${o.bookingId} already has a refund for ${o.reason}.`);
    await this.d.ledger.postRefund(tx, {
      refundId: refund.id,
      paymentId: payment.id,
      bookingId: o.bookingId,
      organizerId: booking.organizer_id,
      provider: payment.provider,
      amount,
      currency: refund.currency,
      applied: true,
    });
    await this.repo.enqueueProcess(tx, refund.id, this.d.config.REFUND_MAX_ATTEMPTS);
    const actor = o.requestedBy ? { userId: o.requestedBy, isAdmin: false } : null;
    const after = { refundId: refund.id, bookingId: o.bookingId, amount, currency: refund.currency, reason: o.reason, items };
    await this.d.audit.record(tx, { actor, action: 'refund.requested', organizerId: booking.organizer_id, target: { type: 'refund', id: refund.id }, after });
    await this.d.audit.record(tx, { actor, action: 'booking.refunded', organizerId: booking.organizer_id, target: { type: 'booking', id: o.bookingId }, after });
    return refund;
  }

  // ---- automatic refunds (payment flow) ----

  /**
   * Inside the caller's transaction: record a full refund of a successful payment that was NOT
   * applied to its booking (reason late_payment or duplicate_payment), post it to the ledger and
   * enqueue the provider refund job. Idempotent per payment. Returns the refund id.
   */
  async createAutoRefund(tx: Tx, input: { paymentId: string; reason: Extract<RefundReason, 'late_payment' | 'duplicate_payment'> }): Promise<string> {
    const payment = await this.repo.lockPayment(tx, input.paymentId);
    if (!payment) throw refundErrors.paymentNotFound(input.paymentId);
    const existing = await this.repo.findAutoRefund(tx, input.paymentId);
    if (existing) return existing.id;
    if (payment.status !== 'succeeded') throw refundErrors.paymentNotRefundable(payment.id, `it is ${payment.status}, not succeeded`);
    if (payment.outcome === 'applied') throw refundErrors.paymentNotRefundable(payment.id, 'it is applied to its booking; refund the booking instead');
    const amount = payment.amount - payment.refunded_amount;
    if (amount <= 0) throw refundErrors.paymentNotRefundable(payment.id, 'nothing is left to refund');
    const refund = await this.repo.insertRefund(tx, {
      id: uuidv7(),
      booking_id: payment.booking_id,
      payment_id: payment.id,
      amount,
      currency: payment.currency.trim(),
      reason: input.reason,
      note: input.reason === 'late_payment' ? 'Paid after the hold expired and the tickets were gone' : 'The booking was already paid',
      items: [],
      provider: payment.provider,
      requested_by: null,
    });
    if (!refund) return (await this.repo.findAutoRefund(tx, input.paymentId))!.id;
    const outcome = input.reason === 'late_payment' ? 'refunded_late' : 'refunded_duplicate';
    if (!(await this.repo.addPaymentRefund(tx, payment.id, amount, outcome))) throw refundErrors.exceedsPayment(payment.id);
    await this.d.ledger.postRefund(tx, {
      refundId: refund.id,
      paymentId: payment.id,
      bookingId: payment.booking_id,
      organizerId: payment.organizer_id,
      provider: payment.provider,
      amount,
      currency: refund.currency,
      applied: false,
    });
    await this.repo.enqueueProcess(tx, refund.id, this.d.config.REFUND_MAX_ATTEMPTS);
    this.d.log.info({ refundId: refund.id, paymentId: payment.id, reason: input.reason, amount }, 'automatic refund created');
    return refund.id;
  }

  // ---- provider side (jobs, webhooks) ----

  /**
   * The `process_refund` job: ask the provider to pay the refund back (outside any transaction).
   * Outages and unexpected errors throw, so the job is retried with back-off; on the last attempt
   * the refund is marked failed with the reason. A business refusal by the provider fails it at
   * once. A pending answer schedules `poll_refund`.
   */
  async processRefund(refundId: string, job: { attempt: number; maxAttempts: number }): Promise<void> {
    const r = await this.repo.findForProcessing(refundId);
    if (!r) {
      this.d.log.warn({ refundId }, 'process_refund: no such refund; dropping');
      return;
    }
    if (r.status !== 'pending') return;
    if (r.provider_ref) {
      // The provider took it on an earlier run: ask how it went.
      await this.pollRefund(refundId, 0);
      return;
    }
    if (!r.payment_provider_ref) {
      await this.fail(r, 'payment_has_no_provider_reference');
      return;
    }
    await this.repo.incrementAttempts(refundId);
    let result;
    try {
      result = await this.d.paymentProviders.refund(r.provider, {
        paymentId: r.payment_id,
        refundId: r.id,
        providerRef: r.payment_provider_ref,
        amount: r.amount,
        currency: r.currency.trim(),
        note: r.note ?? undefined,
      });
    } catch (e) {
      const retryable = !(e instanceof AppError) || isProviderOutage(e);
      const why = e instanceof AppError ? `${e.code}: ${e.message}` : (e as Error).message;
      if (!retryable) {
        const reason = e instanceof AppError && typeof e.details.reason === 'string' ? e.details.reason : why;
        await this.fail(r, reason);
        return;
      }
      if (job.attempt >= job.maxAttempts) {
        await this.fail(r, `${NO_ANSWER} after ${job.attempt} attempts: ${why}`);
        return;
      }
      this.d.log.warn({ refundId, attempt: job.attempt, err: why }, 'provider refund failed; will retry');
      throw e;
    }
    await this.repo.setProviderRef(refundId, result.providerRef);
    await this.applyProviderUpdate({ provider: r.provider, refundId, status: result.status, reason: result.reason });
    if (result.status === 'pending') await this.repo.enqueuePoll(refundId, 1, new Date(Date.now() + this.d.config.REFUND_POLL_DELAY_MS));
  }

  /** The `poll_refund` job: the provider's status of a refund it took, until final (with back-off, up to REFUND_POLL_MAX polls). */
  async pollRefund(refundId: string, poll: number): Promise<void> {
    const r = await this.repo.findById(refundId);
    if (!r || r.status !== 'pending') return;
    if (!r.provider_ref) return; // not sent yet: process_refund owns it
    const s = await this.d.paymentProviders.getRefundStatus(r.provider, r.provider_ref);
    await this.applyProviderUpdate({ provider: r.provider, refundId, status: s.status, reason: s.reason });
    if (s.status !== 'pending') return;
    if (poll >= this.d.config.REFUND_POLL_MAX) {
      this.d.log.error({ refundId, polls: poll }, 'refund still pending at the provider after the last poll; left pending for an operator');
      return;
    }
    const delay = Math.min(this.d.config.REFUND_POLL_DELAY_MS * 2 ** poll, MAX_POLL_DELAY_MS);
    await this.repo.enqueuePoll(refundId, poll + 1, new Date(Date.now() + delay));
  }

  /**
   * A provider reported a refund's status (webhook or poll). Idempotent and monotonic: a final
   * status is never undone (the one exception: a refund we marked failed because the provider
   * never answered becomes succeeded if the provider later says it paid). Identify the refund by
   * our id or the provider's refund reference.
   */
  async applyProviderUpdate(input: { provider: string; refundId?: string; providerRef?: string; status: 'pending' | 'succeeded' | 'failed'; reason?: string }): Promise<void> {
    const r = input.refundId
      ? await this.repo.findById(input.refundId)
      : input.providerRef
        ? await this.repo.findByProviderRef(input.provider, input.providerRef)
        : undefined;
    if (!r || r.provider !== input.provider) {
      this.d.log.warn({ provider: input.provider, refundId: input.refundId, providerRef: input.providerRef }, 'refund update for an unknown refund; ignored');
      return;
    }
    if (input.providerRef && !r.provider_ref) await this.repo.setProviderRef(r.id, input.providerRef);
    if (input.status === 'pending') return;
    const settled = await this.repo.settle(r.id, input.status, input.reason ?? (input.status === 'failed' ? 'provider_reported_failure' : null), {
      localFailurePrefix: NO_ANSWER,
    });
    if (settled) {
      this.d.metrics.refundsTotal.inc({ provider: r.provider, outcome: input.status });
      const log = input.status === 'failed' ? this.d.log.error.bind(this.d.log) : this.d.log.info.bind(this.d.log);
      log({ refundId: r.id, bookingId: r.booking_id, status: input.status, reason: input.reason }, `refund ${input.status}`);
    }
  }

  private async fail(r: RefundRow, reason: string): Promise<void> {
    const settled = await this.repo.settle(r.id, 'failed', reason);
    if (settled) {
      this.d.metrics.refundsTotal.inc({ provider: r.provider, outcome: 'failed' });
      this.d.log.error({ refundId: r.id, bookingId: r.booking_id, reason }, 'refund failed; listed for an operator');
    }
  }

  // ---- event cancellation ----

  /** In the cancelling transaction: enqueue the job that refunds the event's bookings. */
  async enqueueEventCancellation(tx: Executor, eventId: string): Promise<void> {
    await this.repo.enqueueCancelledEvent(tx, eventId, null);
  }

  /**
   * One batch of a cancelled event's refunds: cancels pending bookings (releasing their holds),
   * then refunds up to `limit` confirmed / partially refunded bookings after `after` in id order,
   * each in its own transaction and idempotent (a refunded booking is no longer refundable; a
   * cancellation refund is unique per booking). Resumable: run it again from any cursor.
   */
  async refundCancelledEventBatch(eventId: string, after: string | null, limit = this.d.config.REFUND_BATCH_SIZE): Promise<CancelledEventBatch> {
    const status = await this.repo.eventStatus(eventId);
    if (status !== 'cancelled') {
      this.d.log.warn({ eventId, status }, 'refund_cancelled_event: the event is not cancelled; nothing to do');
      return { refunded: 0, cancelled: 0, failed: [], next: null, more: false };
    }
    const pending = await this.repo.pendingBookingsOfEvent(eventId, limit);
    let cancelled = 0;
    for (const id of pending) if (await withRetry(() => this.d.bookings.repo.cancelPending(id))) cancelled++;

    const ids = await this.repo.refundableBookingsOfEvent(eventId, after, limit);
    let refunded = 0;
    const failed: string[] = [];
    for (const bookingId of ids) {
      try {
        await withRetry(() =>
          this.db.transaction().execute((tx) => this.refundBooking(tx, { bookingId, reason: 'event_cancelled', note: 'Event cancelled', requestedBy: null })),
        );
        refunded++;
      } catch (e) {
        if (e instanceof AppError && e.code === 'booking_not_refundable') continue; // refunded meanwhile
        this.d.log.error({ err: e, eventId, bookingId }, 'could not refund a booking of a cancelled event');
        failed.push(bookingId);
      }
    }
    const more = ids.length === limit || pending.length === limit;
    return { refunded, cancelled, failed, next: ids.length === limit ? ids[ids.length - 1]! : after, more };
  }
}
