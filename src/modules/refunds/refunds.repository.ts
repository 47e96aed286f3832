import { sql } from 'kysely';
import type { Db, Executor } from '../../platform/db/database.js';
import type { BookingStatus, RefundReason, RefundStatus } from '../../platform/db/schema.js';

export const PROCESS_REFUND_TASK = 'process_refund';
export const POLL_REFUND_TASK = 'poll_refund';
export const REFUND_CANCELLED_EVENT_TASK = 'refund_cancelled_event';
export const refundJobKey = (refundId: string) => `refund:${refundId}`;
export const refundPollJobKey = (refundId: string) => `refund-poll:${refundId}`;
export const cancelledEventJobKey = (eventId: string, after: string | null) => `refund-cancelled-event:${eventId}:${after ?? 'start'}`;

export interface RefundItem {
  ticketTypeId: string;
  quantity: number;
}

export interface RefundRow {
  id: string;
  booking_id: string;
  payment_id: string;
  amount: number;
  currency: string;
  reason: RefundReason;
  note: string | null;
  items: RefundItem[];
  status: RefundStatus;
  provider: string;
  provider_ref: string | null;
  failure_reason: string | null;
  attempts: number;
  requested_by: string | null;
  succeeded_at: Date | null;
  failed_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface BookingForRefund {
  id: string;
  event_id: string;
  organizer_id: string;
  user_id: string | null;
  status: BookingStatus;
  total: number;
  refunded_amount: number;
  currency: string;
}

export interface HoldForRefund {
  id: string;
  ticket_type_id: string;
  quantity: number;
  refunded_quantity: number;
  unit_price: number;
}

export interface PaymentForRefund {
  id: string;
  booking_id: string;
  provider: string;
  provider_ref: string | null;
  status: string;
  outcome: string | null;
  amount: number;
  refunded_amount: number;
  currency: string;
  organizer_id: string;
}

export type RefundInsert = Pick<RefundRow, 'id' | 'booking_id' | 'payment_id' | 'amount' | 'currency' | 'reason' | 'note' | 'items' | 'provider' | 'requested_by'>;

const REFUND_COLUMNS = [
  'id', 'booking_id', 'payment_id', 'amount', 'currency', 'reason', 'note', 'items', 'status', 'provider', 'provider_ref',
  'failure_reason', 'attempts', 'requested_by', 'succeeded_at', 'failed_at', 'created_at', 'updated_at',
] as const;

/** All SQL of refunds: the guarded counters a refund moves, the refund rows, and their jobs. */
export class RefundsRepository {
  constructor(private readonly db: Db) {}

  /** findBooking: a booking with its organizer (for authorization; no lock). */
  async findBooking(id: string, db: Executor = this.db): Promise<BookingForRefund | undefined> {
    return db
      .selectFrom('bookings as b')
      .innerJoin('events as e', 'e.id', 'b.event_id')
      .select(['b.id', 'b.event_id', 'e.organizer_id', 'b.user_id', 'b.status', 'b.total', 'b.refunded_amount', 'b.currency'])
      .where('b.id', '=', id)
      .executeTakeFirst();
  }

  /** lockBooking: the booking row, locked: refunds of one booking run one at a time. */
  async lockBooking(tx: Executor, id: string): Promise<BookingForRefund | undefined> {
    const { rows } = await sql<BookingForRefund>`
      /* refunds.lockBooking */
      select b.id, b.event_id, e.organizer_id, b.user_id, b.status, b.total, b.refunded_amount, b.currency
      from bookings b join events e on e.id = b.event_id
      where b.id = ${id}
      for update of b`.execute(tx);
    return rows[0];
  }

  async lockHolds(tx: Executor, bookingId: string): Promise<HoldForRefund[]> {
    const { rows } = await sql<HoldForRefund>`
      /* refunds.lockHolds */
      select id, ticket_type_id, quantity, refunded_quantity, unit_price from holds
      where booking_id = ${bookingId} order by ticket_type_id, id for update`.execute(tx);
    return rows;
  }

  /** refundHold: guarded — never more refunded than held. */
  async refundHold(tx: Executor, holdId: string, quantity: number): Promise<boolean> {
    const { rows } = await sql`
      /* refunds.refundHold */
      update holds set refunded_quantity = refunded_quantity + ${quantity}
      where id = ${holdId} and refunded_quantity + ${quantity} <= quantity
      returning id`.execute(tx);
    return rows.length === 1;
  }

  /** releaseSold: the refunded tickets go back on sale (guarded: sold never goes below zero). */
  async releaseSold(tx: Executor, ticketTypeId: string, quantity: number): Promise<boolean> {
    const { rows } = await sql`
      /* refunds.releaseSold */
      update ticket_types set sold = sold - ${quantity}, updated_at = now()
      where id = ${ticketTypeId} and sold >= ${quantity}
      returning id`.execute(tx);
    return rows.length === 1;
  }

  /** findAppliedPayment: the successful payment applied to a booking (at most one, by a unique index). */
  async findAppliedPayment(tx: Executor, bookingId: string): Promise<PaymentForRefund | undefined> {
    const { rows } = await sql<PaymentForRefund>`
      /* refunds.findAppliedPayment */
      select p.id, p.booking_id, p.provider, p.provider_ref, p.status, p.outcome, p.amount, p.refunded_amount, p.currency, e.organizer_id
      from payments p join bookings b on b.id = p.booking_id join events e on e.id = b.event_id
      where p.booking_id = ${bookingId} and p.outcome = 'applied'`.execute(tx);
    return rows[0];
  }

  /** lockPayment: a payment with its organizer, locked. */
  async lockPayment(tx: Executor, paymentId: string): Promise<PaymentForRefund | undefined> {
    const { rows } = await sql<PaymentForRefund>`
      /* refunds.lockPayment */
      select p.id, p.booking_id, p.provider, p.provider_ref, p.status, p.outcome, p.amount, p.refunded_amount, p.currency, e.organizer_id
      from payments p join bookings b on b.id = p.booking_id join events e on e.id = b.event_id
      where p.id = ${paymentId}
      for update of p`.execute(tx);
    return rows[0];
  }

  /** addPaymentRefund: guarded — a payment is never refunded beyond its amount. Optionally records the outcome of an unapplied success. */
  async addPaymentRefund(tx: Executor, paymentId: string, amount: number, outcome?: 'refunded_late' | 'refunded_duplicate'): Promise<boolean> {
    const { rows } = await sql`
      /* refunds.addPaymentRefund */
      update payments set refunded_amount = refunded_amount + ${amount},
        ${outcome ? sql`outcome = coalesce(outcome, ${outcome}),` : sql``}
        updated_at = now()
      where id = ${paymentId} and refunded_amount + ${amount} <= amount
      returning id`.execute(tx);
    return rows.length === 1;
  }

  /** markBookingRefunded: adds the refunded amount; refunded once no ticket is left, else partially_refunded. */
  async markBookingRefunded(tx: Executor, bookingId: string, amount: number): Promise<BookingStatus> {
    const { rows } = await sql<{ status: BookingStatus }>`
      /* refunds.markBookingRefunded */
      update bookings b set refunded_amount = b.refunded_amount + ${amount},
        status = case when exists (select 1 from holds h where h.booking_id = b.id and h.refunded_quantity < h.quantity)
                      then 'partially_refunded' else 'refunded' end,
        updated_at = now()
      where b.id = ${bookingId}
      returning b.status`.execute(tx);
    return rows[0]!.status;
  }

  /** insertRefund: undefined when a unique index says it exists already (auto refund per payment, cancellation refund per booking). */
  async insertRefund(tx: Executor, r: RefundInsert): Promise<RefundRow | undefined> {
    const { rows } = await sql<RefundRow>`
      /* refunds.insertRefund */
      insert into refunds (id, booking_id, payment_id, amount, currency, reason, note, items, provider, requested_by)
      values (${r.id}, ${r.booking_id}, ${r.payment_id}, ${r.amount}, ${r.currency}, ${r.reason}, ${r.note},
              ${JSON.stringify(r.items)}::jsonb, ${r.provider}, ${r.requested_by})
      on conflict do nothing
      returning ${sql.raw(REFUND_COLUMNS.join(', '))}`.execute(tx);
    return rows[0];
  }

  async findAutoRefund(db: Executor, paymentId: string): Promise<RefundRow | undefined> {
    return db
      .selectFrom('refunds')
      .select(REFUND_COLUMNS)
      .where('payment_id', '=', paymentId)
      .where('reason', 'in', ['late_payment', 'duplicate_payment'])
      .executeTakeFirst();
  }

  async findById(id: string): Promise<RefundRow | undefined> {
    return this.db.selectFrom('refunds').select(REFUND_COLUMNS).where('id', '=', id).executeTakeFirst();
  }

  async findByProviderRef(provider: string, providerRef: string): Promise<RefundRow | undefined> {
    return this.db
      .selectFrom('refunds')
      .select(REFUND_COLUMNS)
      .where('provider', '=', provider)
      .where('provider_ref', '=', providerRef)
      .executeTakeFirst();
  }

  async listByBooking(bookingId: string): Promise<RefundRow[]> {
    return this.db.selectFrom('refunds').select(REFUND_COLUMNS).where('booking_id', '=', bookingId).orderBy('id').execute();
  }

  /** listRecent: operators' view, newest first, by status. */
  async listRecent(o: { status?: RefundStatus; before?: string; limit: number }): Promise<RefundRow[]> {
    let q = this.db.selectFrom('refunds').select(REFUND_COLUMNS);
    if (o.status) q = q.where('status', '=', o.status);
    if (o.before) q = q.where('id', '<', o.before);
    return q.orderBy('id', 'desc').limit(o.limit).execute();
  }

  async countOpen(): Promise<{ failed: number; pending: number }> {
    const { rows } = await sql<{ failed: number; pending: number }>`
      /* refunds.countOpen */
      select (select count(*) from refunds where status = 'failed')::int as failed,
             (select count(*) from refunds where status = 'pending')::int as pending`.execute(this.db);
    return rows[0]!;
  }

  /** findForProcessing: the refund and the provider reference of the payment it pays back. */
  async findForProcessing(id: string): Promise<(RefundRow & { payment_provider_ref: string | null }) | undefined> {
    return this.db
      .selectFrom('refunds as r')
      .innerJoin('payments as p', 'p.id', 'r.payment_id')
      .select(REFUND_COLUMNS.map((c) => `r.${c}` as const))
      .select('p.provider_ref as payment_provider_ref')
      .where('r.id', '=', id)
      .executeTakeFirst();
  }

  async incrementAttempts(id: string): Promise<void> {
    await this.db.updateTable('refunds').set({ attempts: sql`attempts + 1`, updated_at: sql`now()` }).where('id', '=', id).execute();
  }

  async setProviderRef(id: string, providerRef: string): Promise<void> {
    await this.db
      .updateTable('refunds')
      .set({ provider_ref: providerRef, updated_at: sql`now()` })
      .where('id', '=', id)
      .where('provider_ref', 'is', null)
      .execute();
  }

  /**
   * settle: pending → succeeded / failed, once (the conditional UPDATE decides). A refund we
   * declared failed ourselves (no answer from the provider: `allowFromLocalFailure`) may still be
   * corrected to succeeded by the provider's own word; a success is never undone.
   */
  async settle(id: string, status: 'succeeded' | 'failed', reason: string | null, o: { localFailurePrefix?: string } = {}): Promise<RefundRow | undefined> {
    const from = o.localFailurePrefix && status === 'succeeded'
      ? sql`(status = 'pending' or (status = 'failed' and failure_reason like ${`${o.localFailurePrefix}%`}))`
      : sql`status = 'pending'`;
    const { rows } = await sql<RefundRow>`
      /* refunds.settle */
      update refunds set status = ${status},
        failure_reason = ${status === 'failed' ? reason : null},
        succeeded_at = ${status === 'succeeded' ? sql`now()` : sql`null`},
        failed_at = ${status === 'failed' ? sql`now()` : sql`failed_at`},
        updated_at = now()
      where id = ${id} and ${from}
      returning ${sql.raw(REFUND_COLUMNS.join(', '))}`.execute(this.db);
    return rows[0];
  }

  /** enqueueProcess: the provider refund job, in the caller's transaction, keyed by refund. */
  async enqueueProcess(tx: Executor, refundId: string, maxAttempts: number): Promise<void> {
    await sql`
      /* refunds.enqueueProcess */
      select graphile_worker.add_job(${PROCESS_REFUND_TASK}, json_build_object('refundId', ${refundId}::text),
        job_key => ${refundJobKey(refundId)}, max_attempts => ${maxAttempts})`.execute(tx);
  }

  /** enqueuePoll: ask the provider again at runAt. */
  async enqueuePoll(refundId: string, poll: number, runAt: Date): Promise<void> {
    await sql`
      /* refunds.enqueuePoll */
      select graphile_worker.add_job(${POLL_REFUND_TASK}, json_build_object('refundId', ${refundId}::text, 'poll', ${poll}::int),
        run_at => ${runAt.toISOString()}::timestamptz, job_key => ${refundPollJobKey(refundId)}, max_attempts => 10)`.execute(this.db);
  }

  /** enqueueCancelledEvent: the resumable job refunding a cancelled event's bookings (next batch after `after`). */
  async enqueueCancelledEvent(db: Executor, eventId: string, after: string | null): Promise<void> {
    await sql`
      /* refunds.enqueueCancelledEvent */
      select graphile_worker.add_job(${REFUND_CANCELLED_EVENT_TASK}, json_build_object('eventId', ${eventId}::text, 'after', ${after}::text),
        job_key => ${cancelledEventJobKey(eventId, after)}, max_attempts => 10)`.execute(db);
  }

  async eventStatus(eventId: string): Promise<string | undefined> {
    const row = await this.db.selectFrom('events').select('status').where('id', '=', eventId).executeTakeFirst();
    return row?.status;
  }

  /** refundableBookingsOfEvent: confirmed or partially refunded bookings after `after`, in id order. */
  async refundableBookingsOfEvent(eventId: string, after: string | null, limit: number): Promise<string[]> {
    let q = this.db
      .selectFrom('bookings')
      .select('id')
      .where('event_id', '=', eventId)
      .where('status', 'in', ['confirmed', 'partially_refunded']);
    if (after) q = q.where('id', '>', after);
    return (await q.orderBy('id').limit(limit).execute()).map((r) => r.id);
  }

  async pendingBookingsOfEvent(eventId: string, limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('bookings')
      .select('id')
      .where('event_id', '=', eventId)
      .where('status', '=', 'pending')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }
}
