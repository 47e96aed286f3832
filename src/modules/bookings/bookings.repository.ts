import { sql } from 'kysely';
import type { Db, Executor } from '../../platform/db/database.js';
import type { BookingStatus, EventStatus } from '../../platform/db/schema.js';
import { expiryJobKey } from '../inventory/inventory.repository.js';

export interface CatalogueTicketType {
  id: string;
  name: string;
  price: number;
  currency: string;
  sales_start: Date | null;
  sales_end: Date | null;
  min_per_order: number;
  max_per_order: number;
}

export interface Catalogue {
  id: string;
  organizer_id: string;
  status: EventStatus;
  hold_minutes: number;
  ticketTypes: Map<string, CatalogueTicketType>;
}

export interface BookingRow {
  id: string;
  event_id: string;
  organizer_id: string;
  user_id: string | null;
  status: BookingStatus;
  buyer_name: string;
  buyer_email: string;
  buyer_phone: string;
  access_token_hash: string | null;
  total: number;
  currency: string;
  expires_at: Date;
  cancelled_at: Date | null;
  expired_at: Date | null;
  confirmed_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface HoldRow {
  booking_id: string;
  ticket_type_id: string;
  name: string;
  quantity: number;
  unit_price: number;
}

/** All SQL of bookings: reads, and the status changes that release holds. */
export class BookingsRepository {
  constructor(private readonly db: Db) {}

  /** findCatalogue: the event and its ticket types as a booking needs them (no counters). */
  async findCatalogue(eventId: string): Promise<Catalogue | undefined> {
    const event = await this.db
      .selectFrom('events')
      .select(['id', 'organizer_id', 'status', 'hold_minutes'])
      .where('id', '=', eventId)
      .executeTakeFirst();
    if (!event) return undefined;
    const types = await this.db
      .selectFrom('ticket_types')
      .select(['id', 'name', 'price', 'currency', 'sales_start', 'sales_end', 'min_per_order', 'max_per_order'])
      .where('event_id', '=', eventId)
      .execute();
    return { ...event, ticketTypes: new Map(types.map((t) => [t.id, t])) };
  }

  private selectBooking(db: Executor = this.db) {
    return db
      .selectFrom('bookings as b')
      .innerJoin('events as e', 'e.id', 'b.event_id')
      .select([
        'b.id', 'b.event_id', 'e.organizer_id', 'b.user_id', 'b.status', 'b.buyer_name', 'b.buyer_email', 'b.buyer_phone',
        'b.access_token_hash', 'b.total', 'b.currency', 'b.expires_at', 'b.cancelled_at', 'b.expired_at', 'b.confirmed_at',
        'b.created_at', 'b.updated_at',
      ]);
  }

  findById(id: string): Promise<BookingRow | undefined> {
    return this.selectBooking().where('b.id', '=', id).executeTakeFirst();
  }

  /** replaceAccessToken: a recovered guest booking gets a new access token (the first one was never delivered). */
  async replaceAccessToken(id: string, tokenHash: string): Promise<void> {
    await this.db.updateTable('bookings').set({ access_token_hash: tokenHash, updated_at: new Date() }).where('id', '=', id).execute();
  }

  /** listByUser: newest first, keyset-paginated on the (time-ordered) id. */
  listByUser(userId: string, o: { limit: number; before?: string; status?: BookingStatus }): Promise<BookingRow[]> {
    let q = this.selectBooking().where('b.user_id', '=', userId);
    if (o.before) q = q.where('b.id', '<', o.before);
    if (o.status) q = q.where('b.status', '=', o.status);
    return q.orderBy('b.id', 'desc').limit(o.limit).execute();
  }

  async findHolds(bookingIds: string[]): Promise<HoldRow[]> {
    if (bookingIds.length === 0) return [];
    return this.db
      .selectFrom('holds as h')
      .innerJoin('ticket_types as t', 't.id', 'h.ticket_type_id')
      .select(['h.booking_id', 'h.ticket_type_id', 't.name', 'h.quantity', 'h.unit_price'])
      .where('h.booking_id', 'in', bookingIds)
      .orderBy('t.sort_order')
      .orderBy('t.id')
      .execute();
  }

  /**
   * cancelPending: pending → cancelled and its holds released, in one statement (exactly once:
   * the conditional UPDATE of the booking decides), and its expiry job removed.
   */
  async cancelPending(id: string): Promise<boolean> {
    const { rows } = await sql<{ released: number }>`
      /* bookings.cancelPending */
      with b as (
        update bookings set status = 'cancelled', cancelled_at = now(), updated_at = now()
        where id = ${id} and status = 'pending'
        returning id
      ),
      h as (
        select ticket_type_id, sum(quantity)::int as q from holds where booking_id in (select id from b) group by ticket_type_id
      ),
      u as (
        update ticket_types t set held = t.held - h.q from h where t.id = h.ticket_type_id returning t.id
      ),
      j as (
        select graphile_worker.remove_job(${expiryJobKey(id)}) from b
      )
      select (select count(*) from b)::int as released, (select count(*) from u) as types, (select count(*) from j) as jobs`.execute(this.db);
    return rows[0]!.released === 1;
  }

  /**
   * confirmPending (payment flow): a pending booking paid → confirmed and its expiry job removed,
   * inside the caller's transaction (which holds the booking row lock). Only a pending booking
   * moves, so the expiry job (which touches status = 'pending' only) can never release a hold that
   * was just confirmed. Returns the quantities to move from `held` to `sold` (null if the booking
   * was not pending): the caller passes them to moveHeldToSold as the LAST statement of its
   * transaction, so the hot ticket-type row stays locked only for that statement and the commit.
   */
  async confirmPending(tx: Executor, id: string): Promise<{ ticketTypeId: string; quantity: number }[] | null> {
    const { rows } = await sql<{ confirmed: number; moves: { ticketTypeId: string; quantity: number }[] }>`
      /* bookings.confirmPending */
      with b as (
        update bookings set status = 'confirmed', confirmed_at = now(), updated_at = now()
        where id = ${id} and status = 'pending'
        returning id
      ),
      j as (
        select graphile_worker.remove_job(${expiryJobKey(id)}) from b
      )
      select (select count(*) from b)::int as confirmed, (select count(*) from j) as jobs,
             coalesce((select json_agg(json_build_object('ticketTypeId', ticket_type_id, 'quantity', q) order by ticket_type_id)
                       from (select ticket_type_id, sum(quantity)::int as q from holds
                             where booking_id in (select id from b) group by ticket_type_id) h), '[]') as moves`.execute(tx);
    return rows[0]!.confirmed === 1 ? rows[0]!.moves : null;
  }

  /** moveHeldToSold: a confirmed booking's tickets leave `held` for `sold` (ticket types in id order: no deadlocks). */
  async moveHeldToSold(tx: Executor, moves: { ticketTypeId: string; quantity: number }[]): Promise<void> {
    if (moves.length === 0) return;
    const sorted = [...moves].sort((a, b) => (a.ticketTypeId < b.ticketTypeId ? -1 : 1));
    await sql`
      /* bookings.moveHeldToSold */
      update ticket_types t set held = t.held - m.q, sold = t.sold + m.q
      from unnest(${sorted.map((m) => m.ticketTypeId)}::uuid[], ${sorted.map((m) => m.quantity)}::int[]) as m(id, q)
      where t.id = m.id`.execute(tx);
  }

  /**
   * retakeAndConfirm (payment flow): a booking whose hold was released (expired or cancelled)
   * got paid late. Take its quantities again into `sold`, all ticket types or none: lock them in
   * id order (no deadlocks with bookings taking several types), then one guarded UPDATE. Returns
   * the ticket types that no longer have room when it cannot.
   */
  async retakeAndConfirm(tx: Executor, id: string): Promise<{ ok: true } | { ok: false; shortOf: { ticketTypeId: string; wanted: number; remaining: number }[] }> {
    const { rows: locked } = await sql<{ id: string; capacity: number; held: number; sold: number; q: number }>`
      /* bookings.lockTypesForRetake */
      select t.id, t.capacity, t.held, t.sold, h.q
      from ticket_types t
      join (select ticket_type_id, sum(quantity)::int as q from holds where booking_id = ${id} group by ticket_type_id) h on h.ticket_type_id = t.id
      order by t.id
      for update of t`.execute(tx);
    const shortOf = locked
      .filter((t) => t.held + t.sold + t.q > t.capacity)
      .map((t) => ({ ticketTypeId: t.id, wanted: t.q, remaining: Math.max(0, t.capacity - t.held - t.sold) }));
    if (shortOf.length > 0 || locked.length === 0) return { ok: false, shortOf };
    const { rows } = await sql<{ types: number; confirmed: number }>`
      /* bookings.retakeAndConfirm */
      with h as (
        select ticket_type_id, sum(quantity)::int as q from holds where booking_id = ${id} group by ticket_type_id
      ),
      u as (
        update ticket_types t set sold = t.sold + h.q from h
        where t.id = h.ticket_type_id and t.held + t.sold + h.q <= t.capacity
        returning t.id
      ),
      b as (
        update bookings set status = 'confirmed', confirmed_at = now(), updated_at = now()
        where id = ${id} and status in ('expired', 'cancelled') and (select count(*) from u) = ${locked.length}
        returning id
      )
      select (select count(*) from u)::int as types, (select count(*) from b)::int as confirmed`.execute(tx);
    // Under the row locks the guard cannot refuse; if it ever does, fail the whole transaction.
    if (rows[0]!.types !== locked.length || rows[0]!.confirmed !== 1) throw new Error(`retake of booking ${id} did not apply atomically`);
    return { ok: true };
  }

  /**
   * expireDue: pending bookings past their expiry (all due, or only `ids`) become expired and
   * their holds are released, in one statement. Rows another releaser holds are skipped (it will
   * release them); a booking already released is not pending, so nothing is released twice.
   */
  async expireDue(o: { ids?: string[]; limit: number }): Promise<string[]> {
    const { rows } = await sql<{ id: string }>`
      /* bookings.expireDue */
      with due as (
        select id from bookings
        where status = 'pending' and expires_at <= now()
          ${o.ids ? sql`and id = any(${o.ids}::uuid[])` : sql``}
        order by expires_at
        limit ${o.limit}
        for update skip locked
      ),
      b as (
        update bookings set status = 'expired', expired_at = now(), updated_at = now()
        from due where bookings.id = due.id and bookings.status = 'pending'
        returning bookings.id
      ),
      h as (
        select ticket_type_id, sum(quantity)::int as q from holds where booking_id in (select id from b) group by ticket_type_id
      ),
      u as (
        update ticket_types t set held = t.held - h.q from h where t.id = h.ticket_type_id returning t.id
      )
      select id, (select count(*) from u) as types from b`.execute(this.db);
    return rows.map((r) => r.id);
  }
}
