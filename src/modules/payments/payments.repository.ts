import { sql } from 'kysely';
import type { Db, Executor } from '../../platform/db/database.js';
import type { BookingStatus, PaymentMethod, PaymentOutcome, PaymentStatus, ReviewStatus, WebhookEventStatus } from '../../platform/db/schema.js';
import type { FraudReason, FraudSignals } from './fraud.js';

export interface PaymentRow {
  id: string;
  booking_id: string;
  user_id: string | null;
  method: PaymentMethod;
  provider: string;
  provider_ref: string | null;
  status: PaymentStatus;
  outcome: PaymentOutcome | null;
  outcome_reason: string | null;
  amount: number;
  currency: string;
  refunded_amount: number;
  payer_phone: string | null;
  client_ip: string | null;
  failure_reason: string | null;
  fraud_score: number;
  fraud_reasons: FraudReason[];
  review_status: ReviewStatus | null;
  reviewed_by: string | null;
  reviewed_at: Date | null;
  review_note: string | null;
  poll_attempts: number;
  succeeded_at: Date | null;
  failed_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** A booking as the payment flow needs it. */
export interface PayableBooking {
  id: string;
  event_id: string;
  organizer_id: string;
  commission_bps: number;
  user_id: string | null;
  status: BookingStatus;
  buyer_email: string;
  buyer_phone: string;
  access_token_hash: string | null;
  total: number;
  currency: string;
  expires_at: Date;
}

export interface WebhookEventRow {
  id: string;
  provider: string;
  event_id: string;
  type: string;
  provider_ref: string | null;
  payload: unknown;
  status: WebhookEventStatus;
  attempts: number;
  received_at: Date;
}

export interface NewPayment {
  id: string;
  bookingId: string;
  userId: string | null;
  method: PaymentMethod;
  provider: string;
  amount: number;
  currency: string;
  payerPhone: string | null;
  clientIp: string | null;
  fraudScore: number;
  fraudReasons: FraudReason[];
  reviewStatus: ReviewStatus | null;
  /** Recorded straight as failed (a blocked attempt). */
  failureReason?: string;
}

export const POLL_PAYMENT_TASK = 'poll_payment';
export const PROCESS_WEBHOOK_TASK = 'process_webhook_event';
export const pollJobKey = (paymentId: string) => `payment-poll:${paymentId}`;
export const webhookJobKey = (eventRowId: string) => `webhook:${eventRowId}`;

const PAYMENT_COLUMNS = [
  'id', 'booking_id', 'user_id', 'method', 'provider', 'provider_ref', 'status', 'outcome', 'outcome_reason', 'amount', 'currency',
  'refunded_amount', 'payer_phone', 'client_ip', 'failure_reason', 'fraud_score', 'fraud_reasons', 'review_status', 'reviewed_by',
  'reviewed_at', 'review_note', 'poll_attempts', 'succeeded_at', 'failed_at', 'created_at', 'updated_at',
] as const;

/** All SQL of the payment flow: payments, the webhook inbox, fraud signals, and its jobs. */
export class PaymentsRepository {
  constructor(private readonly db: Db) {}

  private selectBooking(db: Executor) {
    return db
      .selectFrom('bookings as b')
      .innerJoin('events as e', 'e.id', 'b.event_id')
      .innerJoin('organizers as o', 'o.id', 'e.organizer_id')
      .select([
        'b.id', 'b.event_id', 'e.organizer_id', 'o.commission_bps', 'b.user_id', 'b.status', 'b.buyer_email', 'b.buyer_phone',
        'b.access_token_hash', 'b.total', 'b.currency', 'b.expires_at',
      ]);
  }

  findBooking(id: string, db: Executor = this.db): Promise<PayableBooking | undefined> {
    return this.selectBooking(db).where('b.id', '=', id).executeTakeFirst();
  }

  /** lockBooking: the booking row FOR UPDATE (the payment application's serialization point). */
  lockBooking(tx: Executor, id: string): Promise<PayableBooking | undefined> {
    return this.selectBooking(tx).where('b.id', '=', id).forUpdate('b').executeTakeFirst();
  }

  /** findFraudSignals: every velocity and history signal of one attempt, in one query. */
  async findFraudSignals(o: { phone: string | null; email: string; ip: string | null; userId: string | null; eventId: string; amount: number }): Promise<FraudSignals> {
    const { rows } = await sql<{
      phone_attempts_10m: number; phone_failures_1h: number; email_attempts_10m: number; email_failures_1h: number;
      ip_attempts_10m: number; ip_failures_1h: number; phones_per_email: number; phones_per_user: number;
      median_total: number | null; confirmed_count: number;
    }>`
      /* payments.findFraudSignals */
      with by_phone as (
        select count(*) filter (where created_at > now() - interval '10 minutes')::int as a,
               count(*) filter (where status = 'failed' and created_at > now() - interval '1 hour')::int as f
        from payments where ${o.phone}::text is not null and payer_phone = ${o.phone} and created_at > now() - interval '1 hour'
      ),
      by_email as (
        select count(*) filter (where p.created_at > now() - interval '10 minutes')::int as a,
               count(*) filter (where p.status = 'failed' and p.created_at > now() - interval '1 hour')::int as f,
               count(distinct p.payer_phone) filter (where p.created_at > now() - interval '24 hours')::int as phones
        from bookings b join payments p on p.booking_id = b.id
        where b.buyer_email = ${o.email} and b.created_at > now() - interval '24 hours'
      ),
      by_ip as (
        select count(*) filter (where created_at > now() - interval '10 minutes')::int as a,
               count(*) filter (where status = 'failed' and created_at > now() - interval '1 hour')::int as f
        from payments where ${o.ip}::text is not null and client_ip = ${o.ip} and created_at > now() - interval '1 hour'
      ),
      by_user as (
        select count(distinct payer_phone)::int as phones from payments
        where ${o.userId}::uuid is not null and user_id = ${o.userId} and created_at > now() - interval '24 hours'
      ),
      typical as (
        select percentile_cont(0.5) within group (order by total) as median, count(*)::int as n
        from (select total from bookings where event_id = ${o.eventId} and status = 'confirmed' order by confirmed_at desc limit 500) c
      ),
      seen_phone as (
        select (${o.phone}::text is not null and not exists (
          select 1 from bookings b join payments p on p.booking_id = b.id
          where b.buyer_email = ${o.email} and b.created_at > now() - interval '24 hours' and p.payer_phone = ${o.phone}
            and p.created_at > now() - interval '24 hours'))::int as new_phone
      )
      select by_phone.a as phone_attempts_10m, by_phone.f as phone_failures_1h,
             by_email.a as email_attempts_10m, by_email.f as email_failures_1h,
             by_ip.a as ip_attempts_10m, by_ip.f as ip_failures_1h,
             by_email.phones + seen_phone.new_phone as phones_per_email,
             by_user.phones + (case when ${o.userId}::uuid is not null then seen_phone.new_phone else 0 end) as phones_per_user,
             typical.median as median_total, typical.n as confirmed_count
      from by_phone, by_email, by_ip, by_user, typical, seen_phone`.execute(this.db);
    const r = rows[0]!;
    return {
      phoneAttempts10m: r.phone_attempts_10m,
      phoneFailures1h: r.phone_failures_1h,
      emailAttempts10m: r.email_attempts_10m,
      emailFailures1h: r.email_failures_1h,
      ipAttempts10m: r.ip_attempts_10m,
      ipFailures1h: r.ip_failures_1h,
      distinctPhonesPerEmail24h: r.phones_per_email,
      distinctPhonesPerUser24h: r.phones_per_user,
      amount: o.amount,
      eventMedianTotal: r.median_total === null ? null : Number(r.median_total),
      eventConfirmedCount: r.confirmed_count,
    };
  }

  async insertPayment(tx: Executor, p: NewPayment): Promise<PaymentRow> {
    return tx
      .insertInto('payments')
      .values({
        id: p.id,
        booking_id: p.bookingId,
        user_id: p.userId,
        method: p.method,
        provider: p.provider,
        amount: p.amount,
        currency: p.currency,
        payer_phone: p.payerPhone,
        client_ip: p.clientIp,
        fraud_score: p.fraudScore,
        fraud_reasons: JSON.stringify(p.fraudReasons),
        review_status: p.reviewStatus,
        ...(p.failureReason ? { status: 'failed' as const, failure_reason: p.failureReason, failed_at: new Date() } : {}),
      })
      .returning(PAYMENT_COLUMNS)
      .executeTakeFirstOrThrow() as Promise<PaymentRow>;
  }

  /** setProviderRef: which provider took the payment and its reference there. */
  async setProviderRef(id: string, provider: string, providerRef: string): Promise<void> {
    await this.db
      .updateTable('payments')
      .set({ provider, provider_ref: providerRef, updated_at: new Date() })
      .where('id', '=', id)
      .execute();
  }

  findById(id: string, db: Executor = this.db): Promise<PaymentRow | undefined> {
    return db.selectFrom('payments').select(PAYMENT_COLUMNS).where('id', '=', id).executeTakeFirst() as Promise<PaymentRow | undefined>;
  }

  lockPayment(tx: Executor, id: string): Promise<PaymentRow | undefined> {
    return tx.selectFrom('payments').select(PAYMENT_COLUMNS).where('id', '=', id).forUpdate().executeTakeFirst() as Promise<PaymentRow | undefined>;
  }

  findByProviderRef(provider: string, providerRef: string): Promise<PaymentRow | undefined> {
    return this.db
      .selectFrom('payments')
      .select(PAYMENT_COLUMNS)
      .where('provider', '=', provider)
      .where('provider_ref', '=', providerRef)
      .executeTakeFirst() as Promise<PaymentRow | undefined>;
  }

  listByBooking(bookingId: string): Promise<PaymentRow[]> {
    return this.db.selectFrom('payments').select(PAYMENT_COLUMNS).where('booking_id', '=', bookingId).orderBy('id', 'desc').execute() as Promise<PaymentRow[]>;
  }

  /** failPending: pending → failed with the provider's reason; a final status is never changed. */
  async failPending(id: string, reason: string): Promise<boolean> {
    const r = await this.db
      .updateTable('payments')
      .set({ status: 'failed', failure_reason: reason, failed_at: new Date(), updated_at: new Date() })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** markSucceeded: pending/failed → succeeded with what became of the money (inside the applying transaction). */
  async markSucceeded(tx: Executor, id: string, outcome: PaymentOutcome, outcomeReason: string | null): Promise<void> {
    await tx
      .updateTable('payments')
      .set({ status: 'succeeded', outcome, outcome_reason: outcomeReason, succeeded_at: new Date(), updated_at: new Date() })
      .where('id', '=', id)
      .where('status', '!=', 'succeeded')
      .execute();
  }

  /** hasAppliedPayment: another payment of this booking already holds the (unique) 'applied' outcome. */
  async hasAppliedPayment(tx: Executor, bookingId: string, exceptId: string): Promise<boolean> {
    const row = await tx
      .selectFrom('payments')
      .select('id')
      .where('booking_id', '=', bookingId)
      .where('outcome', '=', 'applied')
      .where('id', '!=', exceptId)
      .executeTakeFirst();
    return row !== undefined;
  }

  async incrementPollAttempts(id: string): Promise<void> {
    await this.db.updateTable('payments').set((eb) => ({ poll_attempts: eb('poll_attempts', '+', 1) })).where('id', '=', id).execute();
  }

  /** listFlagged: payments waiting for a fraud review, newest first, keyset on id. */
  listFlagged(o: { limit: number; before?: string }): Promise<PaymentRow[]> {
    let q = this.db.selectFrom('payments').select(PAYMENT_COLUMNS).where('review_status', '=', 'pending');
    if (o.before) q = q.where('id', '<', o.before);
    return q.orderBy('id', 'desc').limit(o.limit).execute() as Promise<PaymentRow[]>;
  }

  /** resolveReview: pending review → approved / rejected, once. */
  async resolveReview(id: string, o: { decision: 'approved' | 'rejected'; by: string; note: string | null }, tx: Executor = this.db): Promise<PaymentRow | undefined> {
    return tx
      .updateTable('payments')
      .set({ review_status: o.decision, reviewed_by: o.by, reviewed_at: new Date(), review_note: o.note, updated_at: new Date() })
      .where('id', '=', id)
      .where('review_status', '=', 'pending')
      .returning(PAYMENT_COLUMNS)
      .executeTakeFirst() as Promise<PaymentRow | undefined>;
  }

  // --- webhook inbox -------------------------------------------------------------------------

  /**
   * insertWebhookEvent: store the event once (unique provider + event_id) and enqueue its
   * processing job in the same statement (one implicit transaction). A duplicate inserts nothing
   * and enqueues nothing: returns null.
   */
  async insertWebhookEvent(e: { provider: string; eventId: string; type: string; providerRef: string | null; payload: string }): Promise<string | null> {
    const { rows } = await sql<{ id: string | null; jobs: number }>`
      /* payments.insertWebhookEvent */
      with ins as (
        insert into webhook_events (provider, event_id, type, provider_ref, payload)
        values (${e.provider}, ${e.eventId}, ${e.type}, ${e.providerRef}, ${e.payload}::jsonb)
        on conflict (provider, event_id) do nothing
        returning id
      ),
      j as (
        select graphile_worker.add_job(${PROCESS_WEBHOOK_TASK}, json_build_object('eventId', ins.id),
                                       job_key := ${'webhook:'}::text || ins.id::text, max_attempts := 25)
        from ins
      )
      select (select id from ins) as id, (select count(*) from j)::int as jobs`.execute(this.db);
    return rows[0]!.id;
  }

  /**
   * insertWebhookEvents: the group-commit form of insertWebhookEvent — a batch of events from
   * concurrent requests in ONE statement (one commit): each stored once, its job enqueued with it.
   * Returns, per input (in order), the new row id, or null for a duplicate (already stored, or an
   * earlier copy in the same batch).
   */
  async insertWebhookEvents(items: { provider: string; eventId: string; type: string; providerRef: string | null; payload: string }[]): Promise<(string | null)[]> {
    const firstIndex = new Map<string, number>();
    items.forEach((e, i) => {
      const k = `${e.provider}\u0000${e.eventId}`;
      if (!firstIndex.has(k)) firstIndex.set(k, i);
    });
    const firsts = [...firstIndex.values()].map((i) => items[i]!);
    const { rows } = await sql<{ id: string; provider: string; event_id: string }>`
      /* payments.insertWebhookEvents */
      with input as (
        select * from unnest(${firsts.map((e) => e.provider)}::text[], ${firsts.map((e) => e.eventId)}::text[], ${firsts.map((e) => e.type)}::text[],
                             ${firsts.map((e) => e.providerRef)}::text[], ${firsts.map((e) => e.payload)}::jsonb[])
          as i(provider, event_id, type, provider_ref, payload)
      ),
      ins as (
        insert into webhook_events (provider, event_id, type, provider_ref, payload)
        select provider, event_id, type, provider_ref, payload from input
        on conflict (provider, event_id) do nothing
        returning id, provider, event_id
      ),
      jobs as (
        select count(*)::int as n from graphile_worker.add_jobs((
          select array_agg(row(${PROCESS_WEBHOOK_TASK}::text, json_build_object('eventId', ins.id), null, null, null,
                               ${'webhook:'}::text || ins.id::text, null, null)::graphile_worker.job_spec)
          from ins))
      )
      select id, provider, event_id, (select n from jobs) as jobs from ins`.execute(this.db);
    const inserted = new Map(rows.map((r) => [`${r.provider}\u0000${r.event_id}`, r.id]));
    return items.map((e, i) => {
      const k = `${e.provider}\u0000${e.eventId}`;
      return firstIndex.get(k) === i ? (inserted.get(k) ?? null) : null;
    });
  }

  findWebhookEvent(id: string): Promise<WebhookEventRow | undefined> {
    return this.db
      .selectFrom('webhook_events')
      .select(['id', 'provider', 'event_id', 'type', 'provider_ref', 'payload', 'status', 'attempts', 'received_at'])
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** finishWebhookEvent: received → processed / ignored / failed (once). */
  async finishWebhookEvent(id: string, status: Exclude<WebhookEventStatus, 'received'>, error: string | null = null): Promise<void> {
    await this.db
      .updateTable('webhook_events')
      .set((eb) => ({ status, error, processed_at: new Date(), attempts: eb('attempts', '+', 1) }))
      .where('id', '=', id)
      .where('status', '=', 'received')
      .execute();
  }

  async noteWebhookAttempt(id: string, error: string): Promise<void> {
    await this.db
      .updateTable('webhook_events')
      .set((eb) => ({ error, attempts: eb('attempts', '+', 1) }))
      .where('id', '=', id)
      .execute();
  }

  // --- jobs ----------------------------------------------------------------------------------

  /** enqueue: a graphile-worker job in the caller's transaction (or alone). */
  async enqueue(db: Executor, task: string, payload: Record<string, unknown>, o: { runAt?: Date; jobKey?: string; maxAttempts?: number } = {}): Promise<void> {
    await sql`
      /* payments.enqueue */
      select graphile_worker.add_job(${task}, ${JSON.stringify(payload)}::json,
        run_at := ${o.runAt ?? null}::timestamptz, job_key := ${o.jobKey ?? null}::text, max_attempts := ${o.maxAttempts ?? null}::int)`.execute(db);
  }
}
