import { sql } from 'kysely';
import type { Db, Executor } from '../../platform/db/database.js';

/** What a booking asks of one ticket type (the allocator's unit of work). */
export interface HoldRequest {
  bookingId: string;
  quantity: number;
  userId: string | null;
  buyerName: string;
  buyerEmail: string;
  buyerPhone: string;
  accessTokenHash: string | null;
}

export interface BatchOutcome {
  /** capacity − held − sold as this statement first read it (null: no such ticket type). */
  remainingBefore: number | null;
  /** After our update; null when nothing was taken (nothing fit, or the guard refused). */
  remainingAfter: number | null;
  eventStatus: string | null;
  onSale: boolean | null;
  currency: string | null;
  /** Bookings created, by id. */
  booked: Map<string, { total: number; expiresAt: Date; createdAt: Date }>;
  /** How many requests the statement picked (bookings are only inserted if the guarded update passed). */
  picked: number;
}

export interface CounterDrift {
  ticketTypeId: string;
  eventId: string;
  capacity: number;
  held: number;
  sold: number;
  expectedHeld: number;
  expectedSold: number;
}

export interface AvailabilityRow {
  id: string;
  name: string;
  price: number;
  currency: string;
  capacity: number;
  remaining: number;
  sales_start: Date | null;
  sales_end: Date | null;
  sort_order: number;
}

/** Tickets sold per hold row: paid bookings (fully or partly refunded ones too) minus what refunds gave back. */
const SOLD_RECOUNT = sql`sum(h.quantity - h.refunded_quantity) filter (where b.status in ('confirmed', 'partially_refunded', 'refunded'))`;

export const EXPIRE_BOOKING_TASK = 'expire_booking';
export const expiryJobKey = (bookingId: string) => `booking-expiry:${bookingId}`;

/** All SQL of inventory: the guarded counters, holds, and their recount. */
export class InventoryRepository {
  constructor(private readonly db: Db) {}

  /**
   * allocateBatch — ONE statement (one implicit transaction, one commit) for a batch of single
   * ticket type requests: read what remains, pick the arrival-order prefix that fits, take it with
   * a guarded UPDATE of the counter, insert the bookings and holds, and enqueue each booking's
   * expiry job. If a concurrent writer (another process) made the read stale, the guard refuses
   * and nothing is inserted (`picked > 0` and `remainingAfter === null`): the caller retries.
   */
  async allocateBatch(ticketTypeId: string, items: HoldRequest[]): Promise<BatchOutcome> {
    const { rows } = await sql<{
      remaining_before: number | null;
      remaining_after: number | null;
      event_status: string | null;
      on_sale: boolean | null;
      currency: string | null;
      picked: number;
      booked: { id: string; total: number; expires_at: string; created_at: string }[];
    }>`
      /* inventory.allocateBatch */
      with req as (
        select * from unnest(
          ${items.map((i) => i.bookingId)}::uuid[], ${items.map((i) => i.quantity)}::int[],
          ${items.map((i) => i.userId)}::uuid[], ${items.map((i) => i.buyerName)}::text[],
          ${items.map((i) => i.buyerEmail)}::text[], ${items.map((i) => i.buyerPhone)}::text[],
          ${items.map((i) => i.accessTokenHash)}::text[]
        ) with ordinality as r(booking_id, qty, user_id, buyer_name, buyer_email, buyer_phone, token_hash, ord)
      ),
      tt as (
        select t.id, t.event_id, t.price, t.currency, t.capacity - t.held - t.sold as remaining,
               e.status as event_status, e.hold_minutes,
               (now() >= coalesce(t.sales_start, '-infinity') and now() < coalesce(t.sales_end, 'infinity')) as on_sale
        from ticket_types t join events e on e.id = t.event_id
        where t.id = ${ticketTypeId}
      ),
      picked as (
        select c.* from (select req.*, sum(req.qty) over (order by req.ord) as cum from req) c, tt
        where tt.event_status = 'published' and tt.on_sale and c.cum <= tt.remaining
      ),
      upd as (
        update ticket_types t set held = t.held + p.n
        from (select coalesce(sum(qty), 0)::int as n from picked) p
        where t.id = ${ticketTypeId} and p.n > 0 and t.held + t.sold + p.n <= t.capacity
        returning t.capacity - t.held - t.sold as remaining
      ),
      ins as (
        insert into bookings (id, event_id, user_id, buyer_name, buyer_email, buyer_phone, access_token_hash, total, currency, expires_at)
        select p.booking_id, tt.event_id, p.user_id, p.buyer_name, p.buyer_email, p.buyer_phone, p.token_hash,
               p.qty * tt.price, tt.currency, now() + make_interval(mins => tt.hold_minutes)
        from picked p, tt
        where exists (select 1 from upd)
        returning id, total, expires_at, created_at
      ),
      hold as (
        insert into holds (booking_id, ticket_type_id, quantity, unit_price)
        select p.booking_id, tt.id, p.qty, tt.price from picked p, tt
        where exists (select 1 from upd)
      ),
      jobs as (
        select count(*)::int as n from graphile_worker.add_jobs((
          select array_agg(row(${EXPIRE_BOOKING_TASK}::text, json_build_object('bookingId', i.id), null, i.expires_at,
                               null, ${'booking-expiry:'}::text || i.id::text, null, null)::graphile_worker.job_spec)
          from ins i))
      )
      select (select remaining from tt) as remaining_before,
             (select remaining from upd) as remaining_after,
             (select event_status from tt) as event_status,
             (select on_sale from tt) as on_sale,
             (select currency from tt) as currency,
             (select count(*)::int from picked) as picked,
             (select n from jobs) as jobs,
             coalesce((select json_agg(json_build_object('id', id, 'total', total, 'expires_at', expires_at, 'created_at', created_at)) from ins), '[]') as booked
    `.execute(this.db);
    const row = rows[0]!;
    return {
      remainingBefore: row.remaining_before,
      remainingAfter: row.remaining_after,
      eventStatus: row.event_status,
      onSale: row.on_sale,
      currency: row.currency,
      picked: row.picked,
      booked: new Map(
        row.booked.map((b) => [b.id, { total: Number(b.total), expiresAt: new Date(b.expires_at), createdAt: new Date(b.created_at) }]),
      ),
    };
  }

  /**
   * takeHold — the per-request path: guarded increment of one ticket type's `held`, inside the
   * caller's transaction. Returns the price, or undefined when it does not fit (or is not on sale).
   */
  async takeHold(tx: Executor, ticketTypeId: string, quantity: number): Promise<{ price: number; currency: string } | undefined> {
    const { rows } = await sql<{ price: number; currency: string }>`
      /* inventory.takeHold */
      update ticket_types t set held = t.held + ${quantity}
      from events e
      where t.id = ${ticketTypeId} and e.id = t.event_id and e.status = 'published'
        and now() >= coalesce(t.sales_start, '-infinity') and now() < coalesce(t.sales_end, 'infinity')
        and t.held + t.sold + ${quantity} <= t.capacity
      returning t.price, t.currency`.execute(tx);
    return rows[0];
  }

  /** insertBooking — the per-request path: booking, its holds and its expiry job in one statement. */
  async insertBooking(
    tx: Executor,
    b: Omit<HoldRequest, 'quantity'> & { eventId: string; holdMinutes: number; currency: string },
    holds: { ticketTypeId: string; quantity: number; unitPrice: number }[],
  ): Promise<{ total: number; expiresAt: Date; createdAt: Date }> {
    const total = holds.reduce((s, h) => s + h.quantity * h.unitPrice, 0);
    const { rows } = await sql<{ total: number; expires_at: Date; created_at: Date }>`
      /* inventory.insertBooking */
      with ins as (
        insert into bookings (id, event_id, user_id, buyer_name, buyer_email, buyer_phone, access_token_hash, total, currency, expires_at)
        values (${b.bookingId}, ${b.eventId}, ${b.userId}, ${b.buyerName}, ${b.buyerEmail}, ${b.buyerPhone}, ${b.accessTokenHash},
                ${total}, ${b.currency}, now() + make_interval(mins => ${b.holdMinutes}))
        returning id, total, expires_at, created_at
      ),
      hold as (
        insert into holds (booking_id, ticket_type_id, quantity, unit_price)
        select ${b.bookingId}::uuid, h.tt, h.q, h.p
        from unnest(${holds.map((h) => h.ticketTypeId)}::uuid[], ${holds.map((h) => h.quantity)}::int[], ${holds.map((h) => h.unitPrice)}::bigint[]) as h(tt, q, p)
      ),
      job as (
        select graphile_worker.add_job(${EXPIRE_BOOKING_TASK}, json_build_object('bookingId', ins.id), run_at => ins.expires_at,
                                       job_key => ${'booking-expiry:'} || ins.id::text) from ins
      )
      select ins.total, ins.expires_at, ins.created_at, (select count(*) from job) as jobs from ins`.execute(tx);
    const row = rows[0]!;
    return { total: Number(row.total), expiresAt: row.expires_at, createdAt: row.created_at };
  }

  /** remainingFor — what is left of these ticket types right now (for sold_out details). */
  async remainingFor(ticketTypeIds: string[]): Promise<Map<string, number>> {
    const rows = await this.db
      .selectFrom('ticket_types')
      .select(['id', sql<number>`capacity - held - sold`.as('remaining')])
      .where('id', 'in', ticketTypeIds)
      .execute();
    return new Map(rows.map((r) => [r.id, r.remaining]));
  }

  /** findAvailability — an event's ticket types with what remains (public ones only). */
  async findAvailability(eventId: string): Promise<AvailabilityRow[]> {
    return this.db
      .selectFrom('ticket_types')
      .select(['id', 'name', 'price', 'currency', 'capacity', sql<number>`capacity - held - sold`.as('remaining'), 'sales_start', 'sales_end', 'sort_order'])
      .where('event_id', '=', eventId)
      .where('visibility', '=', 'public')
      .orderBy('sort_order')
      .orderBy('id')
      .execute();
  }

  /**
   * recountCounters — held/sold recomputed from holds (pending bookings → held; paid bookings →
   * sold, less the tickets refunded back to inventory)
   * compared with the stored counters. Returns only the ticket types that drift.
   */
  async recountCounters(ticketTypeIds?: string[]): Promise<CounterDrift[]> {
    const filter = ticketTypeIds?.length ? sql`where t.id = any(${ticketTypeIds}::uuid[])` : sql``;
    const { rows } = await sql<{
      id: string;
      event_id: string;
      capacity: number;
      held: number;
      sold: number;
      expected_held: number;
      expected_sold: number;
    }>`
      /* inventory.recountCounters */
      select t.id, t.event_id, t.capacity, t.held, t.sold,
             coalesce(c.held, 0)::int as expected_held, coalesce(c.sold, 0)::int as expected_sold
      from ticket_types t
      left join (
        select h.ticket_type_id,
               sum(h.quantity) filter (where b.status = 'pending') as held,
               ${SOLD_RECOUNT} as sold
        from holds h join bookings b on b.id = h.booking_id
        ${ticketTypeIds?.length ? sql`where h.ticket_type_id = any(${ticketTypeIds}::uuid[])` : sql``}
        group by h.ticket_type_id
      ) c on c.ticket_type_id = t.id
      ${filter}`.execute(this.db);
    return rows
      .filter((r) => r.held !== r.expected_held || r.sold !== r.expected_sold)
      .map((r) => ({
        ticketTypeId: r.id,
        eventId: r.event_id,
        capacity: r.capacity,
        held: r.held,
        sold: r.sold,
        expectedHeld: r.expected_held,
        expectedSold: r.expected_sold,
      }));
  }

  /**
   * repairCounters — set held/sold to the recount, under the row lock, recomputed inside the
   * transaction so a sale running meanwhile is not undone. Returns what changed.
   */
  async repairCounters(ticketTypeIds: string[]): Promise<CounterDrift[]> {
    return this.db.transaction().execute(async (tx) => {
      const changed: CounterDrift[] = [];
      for (const id of [...ticketTypeIds].sort()) {
        await sql`select 1 from ticket_types where id = ${id} for update`.execute(tx);
        const { rows } = await sql<CounterDrift & { event_id: string }>`
          /* inventory.repairCounters */
          with c as (
            select coalesce(sum(h.quantity) filter (where b.status = 'pending'), 0)::int as held,
                   coalesce(${SOLD_RECOUNT}, 0)::int as sold
            from holds h join bookings b on b.id = h.booking_id where h.ticket_type_id = ${id}
          ), old as (select id, event_id, capacity, held, sold from ticket_types where id = ${id})
          update ticket_types t set held = c.held, sold = c.sold, updated_at = now()
          from c, old
          where t.id = ${id} and (t.held <> c.held or t.sold <> c.sold)
          returning t.id as "ticketTypeId", old.event_id as "eventId", t.capacity, old.held, old.sold,
                    c.held as "expectedHeld", c.sold as "expectedSold"`.execute(tx);
        if (rows[0]) changed.push(rows[0]);
      }
      return changed;
    });
  }
}
