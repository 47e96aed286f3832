import { sql } from 'kysely';
import type { Db, Executor } from '../../platform/db/database.js';
import type { BookingStatus, EventStatus, TicketsTable } from '../../platform/db/schema.js';

export const BOOKING_CONFIRMED_TASK = 'booking_confirmed';
export const SEND_TICKETS_EMAIL_TASK = 'send_tickets_email';
export const ticketsEmailJobKey = (bookingId: string) => `tickets-email:${bookingId}`;

export interface EventKeyRow {
  event_id: string;
  key_id: string;
  public_key: Buffer;
  private_key_enc: string;
}

export interface IssuableBooking {
  id: string;
  status: BookingStatus;
  event_id: string;
  organizer_id: string;
  event_status: EventStatus;
  buyer_name: string;
  buyer_email: string;
}

export interface HoldForIssue {
  id: string;
  ticket_type_id: string;
  quantity: number;
  refunded_quantity: number;
}

/** A ticket row as issuance inserts it (never revoked yet; timestamps from the database). */
export type NewTicket = Omit<TicketsTable, 'revoked_at' | 'revoked_reason' | 'created_at' | 'updated_at'>;

export interface LiveTicket {
  id: string;
  hold_id: string;
  ticket_type_id: string;
  seq: number;
  checked_in: boolean;
}

export interface TicketRow {
  id: string;
  event_id: string;
  booking_id: string;
  ticket_type_id: string;
  ticket_type_name: string;
  seq: number;
  code: string;
  holder_name: string;
  qr_payload: string;
  revoked_at: Date | null;
  revoked_reason: string | null;
  checked_in_at: Date | null;
  created_at: Date;
}

export interface EventForTickets {
  id: string;
  organizer_id: string;
  name: string;
  status: EventStatus;
  starts_at: Date;
  ends_at: Date;
  venue_name: string;
  venue_city: string;
  venue_timezone: string;
}

export interface CheckinListRow {
  id: string;
  event_id: string;
  organizer_id: string;
  name: string;
  ticket_type_ids: string[];
  gates: string[];
  created_at: Date;
  updated_at: Date;
}

/** A ticket as a scan sees it, with the outcome of the admission attempt (admitted_id set when this scan got in). */
export interface ScanRow {
  id: string;
  event_id: string;
  ticket_type_id: string;
  ticket_type_name: string;
  code: string;
  holder_name: string;
  revoked_at: Date | null;
  revoked_reason: string | null;
  event_status: EventStatus;
  starts_at: Date;
  ends_at: Date;
  in_list: boolean;
  admitted_id: string | null;
  admitted_at: Date | null;
}

export interface CheckinRow {
  id: string;
  ticket_id: string;
  gate: string;
  device_id: string;
  scan_id: string | null;
  scanned_at: Date;
  offline: boolean;
}

export interface Window {
  opensMinutesBefore: number;
  closesMinutesAfter: number;
}

export interface ScanInput {
  listId: string;
  gate: string;
  deviceId: string;
  scanId: string | null;
  userId: string | null;
  at: Date;
}

/** All SQL of tickets and check-in. */
export class TicketsRepository {
  constructor(private readonly db: Db) {}

  // ---- event keys and sync versions ----

  findEventKey(eventId: string, db: Executor = this.db): Promise<EventKeyRow | undefined> {
    return db.selectFrom('event_ticket_keys').select(['event_id', 'key_id', 'public_key', 'private_key_enc']).where('event_id', '=', eventId).executeTakeFirst();
  }

  findEventKeyById(keyId: string): Promise<EventKeyRow | undefined> {
    return this.db.selectFrom('event_ticket_keys').select(['event_id', 'key_id', 'public_key', 'private_key_enc']).where('key_id', '=', keyId).executeTakeFirst();
  }

  /** insertEventKey: the first key of an event wins (a concurrent second insert does nothing). */
  async insertEventKey(db: Executor, k: EventKeyRow): Promise<void> {
    await db.insertInto('event_ticket_keys').values(k).onConflict((oc) => oc.column('event_id').doNothing()).execute();
  }

  /** bumpSyncVersion: the next change version of an event's tickets; the row lock orders changes by commit. */
  async bumpSyncVersion(tx: Executor, eventId: string): Promise<number> {
    const row = await tx
      .updateTable('event_ticket_keys')
      .set((eb) => ({ sync_version: eb('sync_version', '+', 1) }))
      .where('event_id', '=', eventId)
      .returning('sync_version')
      .executeTakeFirstOrThrow();
    return row.sync_version;
  }

  // ---- issuance and revocation ----

  /** lockBooking: the booking FOR UPDATE (the same serialization point as payments and refunds). */
  lockBooking(tx: Executor, bookingId: string): Promise<IssuableBooking | undefined> {
    return tx
      .selectFrom('bookings as b')
      .innerJoin('events as e', 'e.id', 'b.event_id')
      .select(['b.id', 'b.status', 'b.event_id', 'e.organizer_id', 'e.status as event_status', 'b.buyer_name', 'b.buyer_email'])
      .where('b.id', '=', bookingId)
      .forUpdate('b')
      .executeTakeFirst();
  }

  findHolds(db: Executor, bookingId: string): Promise<HoldForIssue[]> {
    return db
      .selectFrom('holds')
      .select(['id', 'ticket_type_id', 'quantity', 'refunded_quantity'])
      .where('booking_id', '=', bookingId)
      .orderBy('ticket_type_id')
      .orderBy('id')
      .execute();
  }

  async findIssuedSeqs(db: Executor, bookingId: string): Promise<Set<string>> {
    const rows = await db.selectFrom('tickets').select(['hold_id', 'seq']).where('booking_id', '=', bookingId).execute();
    return new Set(rows.map((r) => `${r.hold_id}:${r.seq}`));
  }

  /** insertTickets: one statement; an admission already issued (hold_id, seq) is skipped. */
  async insertTickets(tx: Executor, rows: NewTicket[]): Promise<number> {
    if (rows.length === 0) return 0;
    const inserted = await tx
      .insertInto('tickets')
      .values(rows)
      .onConflict((oc) => oc.columns(['hold_id', 'seq']).doNothing())
      .returning('id')
      .execute();
    return inserted.length;
  }

  /** lockLiveTickets: the booking's unrevoked tickets FOR UPDATE, with whether each got in anywhere. */
  lockLiveTickets(tx: Executor, bookingId: string): Promise<LiveTicket[]> {
    return tx
      .selectFrom('tickets as t')
      .select(['t.id', 't.hold_id', 't.ticket_type_id', 't.seq'])
      .select((eb) => eb.exists(eb.selectFrom('checkins as c').select('c.id').whereRef('c.ticket_id', '=', 't.id')).as('checked_in'))
      .where('t.booking_id', '=', bookingId)
      .where('t.revoked_at', 'is', null)
      .orderBy('t.id')
      .forUpdate('t')
      .execute() as Promise<LiveTicket[]>;
  }

  async revokeTickets(tx: Executor, ids: string[], reason: string, version: number): Promise<number> {
    if (ids.length === 0) return 0;
    const rows = await tx
      .updateTable('tickets')
      .set({ revoked_at: new Date(), revoked_reason: reason, sync_version: version, updated_at: new Date() })
      .where('id', 'in', ids)
      .where('revoked_at', 'is', null)
      .returning('id')
      .execute();
    return rows.length;
  }

  /** enqueueTicketsEmail: the buyer's email, keyed per booking (a resend replaces a waiting one). */
  async enqueueTicketsEmail(db: Executor, bookingId: string, maxAttempts: number): Promise<void> {
    await sql`
      /* tickets.enqueueTicketsEmail */
      select graphile_worker.add_job(${SEND_TICKETS_EMAIL_TASK}, json_build_object('bookingId', ${bookingId}::text),
        job_key := ${ticketsEmailJobKey(bookingId)}::text, max_attempts := ${maxAttempts}::int)`.execute(db);
  }

  // ---- reading tickets ----

  private selectTickets(db: Executor) {
    return db
      .selectFrom('tickets as t')
      .innerJoin('ticket_types as tt', 'tt.id', 't.ticket_type_id')
      .select([
        't.id', 't.event_id', 't.booking_id', 't.ticket_type_id', 'tt.name as ticket_type_name', 't.seq', 't.code', 't.holder_name',
        't.qr_payload', 't.revoked_at', 't.revoked_reason', 't.created_at',
      ])
      .select((eb) => eb.selectFrom('checkins as c').select((e) => e.fn.min('c.scanned_at').as('m')).whereRef('c.ticket_id', '=', 't.id').as('checked_in_at'));
  }

  findByBooking(bookingId: string): Promise<TicketRow[]> {
    return this.selectTickets(this.db).where('t.booking_id', '=', bookingId).orderBy('tt.sort_order').orderBy('t.ticket_type_id').orderBy('t.hold_id').orderBy('t.seq').execute() as Promise<TicketRow[]>;
  }

  findById(id: string): Promise<TicketRow | undefined> {
    return this.selectTickets(this.db).where('t.id', '=', id).executeTakeFirst() as Promise<TicketRow | undefined>;
  }

  findEvent(eventId: string): Promise<EventForTickets | undefined> {
    return this.db
      .selectFrom('events as e')
      .innerJoin('venues as v', 'v.id', 'e.venue_id')
      .select(['e.id', 'e.organizer_id', 'e.name', 'e.status', 'e.starts_at', 'e.ends_at', 'v.name as venue_name', 'v.city as venue_city', 'v.timezone as venue_timezone'])
      .where('e.id', '=', eventId)
      .executeTakeFirst();
  }

  async findBookingEmail(bookingId: string, db: Executor = this.db): Promise<{ id: string; event_id: string; buyer_name: string; buyer_email: string; status: BookingStatus } | undefined> {
    return db.selectFrom('bookings').select(['id', 'event_id', 'buyer_name', 'buyer_email', 'status']).where('id', '=', bookingId).executeTakeFirst();
  }

  // ---- check-in lists ----

  private selectLists(db: Executor) {
    return db
      .selectFrom('checkin_lists as l')
      .innerJoin('events as e', 'e.id', 'l.event_id')
      .select(['l.id', 'l.event_id', 'e.organizer_id', 'l.name', 'l.ticket_type_ids', 'l.gates', 'l.created_at', 'l.updated_at']);
  }

  async findTicketTypeIds(eventId: string): Promise<Set<string>> {
    const rows = await this.db.selectFrom('ticket_types').select('id').where('event_id', '=', eventId).execute();
    return new Set(rows.map((r) => r.id));
  }

  async insertList(l: { eventId: string; name: string; ticketTypeIds: string[]; gates: string[] }, tx: Executor = this.db): Promise<CheckinListRow> {
    const row = await tx
      .insertInto('checkin_lists')
      .values({ event_id: l.eventId, name: l.name, ticket_type_ids: l.ticketTypeIds, gates: l.gates })
      .returning('id')
      .executeTakeFirstOrThrow();
    return (await this.findList(row.id, tx))!;
  }

  findList(id: string, tx: Executor = this.db): Promise<CheckinListRow | undefined> {
    return this.selectLists(tx).where('l.id', '=', id).executeTakeFirst();
  }

  listByEvent(eventId: string): Promise<CheckinListRow[]> {
    return this.selectLists(this.db).where('l.event_id', '=', eventId).orderBy('l.id').execute();
  }

  async updateList(id: string, patch: { name?: string; ticketTypeIds?: string[]; gates?: string[] }): Promise<CheckinListRow | undefined> {
    const row = await this.db
      .updateTable('checkin_lists')
      .set({
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.ticketTypeIds !== undefined ? { ticket_type_ids: patch.ticketTypeIds } : {}),
        ...(patch.gates !== undefined ? { gates: patch.gates } : {}),
        updated_at: new Date(),
      })
      .where('id', '=', id)
      .returning('id')
      .executeTakeFirst();
    return row ? this.findList(row.id) : undefined;
  }

  // ---- check-in ----

  /**
   * admitBatch: THE admission — one statement for a batch of concurrent scans (group commit: one
   * round trip and one commit for all of them). Reads each scanned ticket (by id or code) with its
   * event and the list, and inserts a check-in only where every rule holds; the unique (ticket,
   * list) with ON CONFLICT DO NOTHING makes any number of gates scanning at once — in one batch or
   * in concurrent ones — admit a ticket once. Rows are inserted in (ticket, submission) order: the
   * same lock order in every batch (no deadlock), the first submitted scan wins within a batch.
   * Result per input, in order: undefined = no such ticket; admitted_id null = refused (the caller
   * tells why from the columns).
   */
  async admitBatch(scans: (({ ticketId: string } | { code: string }) & ScanInput & { checkinId: string })[], w: Window): Promise<(ScanRow | undefined)[]> {
    const col = <T>(f: (s: (typeof scans)[number]) => T) => scans.map(f);
    const { rows } = await sql<ScanRow & { ord: number }>`
      /* tickets.admitBatch */
      with i as (
        select * from unnest(
          ${scans.map((_, n) => n)}::int[], ${col((s) => s.checkinId)}::uuid[], ${col((s) => ('ticketId' in s ? s.ticketId : null))}::uuid[],
          ${col((s) => ('code' in s ? s.code : null))}::text[], ${col((s) => s.listId)}::uuid[], ${col((s) => s.gate)}::text[],
          ${col((s) => s.deviceId)}::text[], ${col((s) => s.scanId)}::text[], ${col((s) => s.userId)}::uuid[], ${col((s) => s.at.toISOString())}::timestamptz[]
        ) as i(ord, checkin_id, ticket_id, code, list_id, gate, device_id, scan_id, user_id, at)
      ),
      t as (
        select i.*, t.id, t.event_id, t.ticket_type_id, tt.name as ticket_type_name, t.code as ticket_code, t.holder_name, t.revoked_at, t.revoked_reason,
               e.status as event_status, e.starts_at, e.ends_at,
               (cardinality(l.ticket_type_ids) = 0 or t.ticket_type_id = any(l.ticket_type_ids)) as in_list,
               (t.event_id = l.event_id) as same_event
        from i
        join checkin_lists l on l.id = i.list_id
        -- Per scan, an index lookup by id (QR) or by code (typed).
        join lateral (
          select x.* from tickets x where x.id = i.ticket_id
          union all
          select x.* from tickets x where i.ticket_id is null and x.code = i.code
        ) t on true
        join events e on e.id = t.event_id
        join ticket_types tt on tt.id = t.ticket_type_id
      ),
      ins as (
        insert into checkins (id, ticket_id, checkin_list_id, gate, device_id, scan_id, scanned_at, offline, user_id)
        select t.checkin_id, t.id, t.list_id, t.gate, t.device_id, t.scan_id, t.at, false, t.user_id
        from t
        where t.same_event and t.in_list and t.revoked_at is null and t.event_status not in ('cancelled', 'draft')
          and t.at >= t.starts_at - make_interval(mins => ${w.opensMinutesBefore}::int)
          and t.at <= t.ends_at + make_interval(mins => ${w.closesMinutesAfter}::int)
        order by t.id, t.ord
        on conflict (ticket_id, checkin_list_id) do nothing
        returning id, scanned_at
      )
      select t.ord, t.id, t.event_id, t.ticket_type_id, t.ticket_type_name, t.ticket_code as code, t.holder_name, t.revoked_at, t.revoked_reason,
             t.event_status, t.starts_at, t.ends_at, t.in_list, ins.id as admitted_id, ins.scanned_at as admitted_at
      from t left join ins on ins.id = t.checkin_id`.execute(this.db);
    const out: (ScanRow | undefined)[] = new Array(scans.length).fill(undefined);
    for (const r of rows) out[r.ord] = r;
    return out;
  }

  /** findCheckin: who got in first on this list (fresh read, after a refused insert). */
  findCheckin(db: Executor, ticketId: string, listId: string): Promise<CheckinRow | undefined> {
    return db
      .selectFrom('checkins')
      .select(['id', 'ticket_id', 'gate', 'device_id', 'scan_id', 'scanned_at', 'offline'])
      .where('ticket_id', '=', ticketId)
      .where('checkin_list_id', '=', listId)
      .executeTakeFirst();
  }

  /** findScanTickets: the tickets an offline batch names, by id or code, with their event's times. */
  findScanTickets(ids: string[], codes: string[]): Promise<Omit<ScanRow, 'in_list' | 'admitted_id' | 'admitted_at'>[]> {
    if (ids.length === 0 && codes.length === 0) return Promise.resolve([]);
    return this.db
      .selectFrom('tickets as t')
      .innerJoin('events as e', 'e.id', 't.event_id')
      .innerJoin('ticket_types as tt', 'tt.id', 't.ticket_type_id')
      .select([
        't.id', 't.event_id', 't.ticket_type_id', 'tt.name as ticket_type_name', 't.code', 't.holder_name', 't.revoked_at', 't.revoked_reason',
        'e.status as event_status', 'e.starts_at', 'e.ends_at',
      ])
      .where((eb) => eb.or([...(ids.length ? [eb('t.id', 'in', ids)] : []), ...(codes.length ? [eb('t.code', 'in', codes)] : [])]))
      .execute();
  }

  /** insertOfflineCheckin: take the admission if nobody has it (inside the sync transaction). */
  async insertOfflineCheckin(tx: Executor, ticketId: string, s: ScanInput): Promise<boolean> {
    const rows = await tx
      .insertInto('checkins')
      .values({ ticket_id: ticketId, checkin_list_id: s.listId, gate: s.gate, device_id: s.deviceId, scan_id: s.scanId, scanned_at: s.at, offline: true, user_id: s.userId })
      .onConflict((oc) => oc.columns(['ticket_id', 'checkin_list_id']).doNothing())
      .returning('id')
      .execute();
    return rows.length === 1;
  }

  lockCheckin(tx: Executor, ticketId: string, listId: string): Promise<CheckinRow | undefined> {
    return tx
      .selectFrom('checkins')
      .select(['id', 'ticket_id', 'gate', 'device_id', 'scan_id', 'scanned_at', 'offline'])
      .where('ticket_id', '=', ticketId)
      .where('checkin_list_id', '=', listId)
      .forUpdate()
      .executeTakeFirst();
  }

  /** replaceCheckin: an earlier offline scan becomes the admission (the caller moved the old one to conflicts). */
  async replaceCheckin(tx: Executor, id: string, s: ScanInput): Promise<void> {
    await tx
      .updateTable('checkins')
      .set({ gate: s.gate, device_id: s.deviceId, scan_id: s.scanId, scanned_at: s.at, offline: true, user_id: s.userId })
      .where('id', '=', id)
      .execute();
  }

  async insertConflict(
    tx: Executor,
    c: { ticketId: string; listId: string; gate: string; deviceId: string; scanId: string; scannedAt: Date; userId: string | null },
  ): Promise<void> {
    await tx
      .insertInto('checkin_conflicts')
      .values({ ticket_id: c.ticketId, checkin_list_id: c.listId, gate: c.gate, device_id: c.deviceId, scan_id: c.scanId, scanned_at: c.scannedAt, user_id: c.userId })
      .onConflict((oc) => oc.columns(['checkin_list_id', 'device_id', 'scan_id']).doNothing())
      .execute();
  }

  /** findListTicketsSince: tickets of a list changed after (version, id), in change order — a device's download page. */
  async findListTicketsSince(
    list: { id: string; event_id: string; ticket_type_ids: string[] },
    after: { version: number; id: string },
    limit: number,
  ): Promise<{ id: string; code: string; ticket_type_id: string; holder_name: string; revoked_at: Date | null; revoked_reason: string | null; sync_version: number; checked_in_at: Date | null }[]> {
    const { rows } = await sql<{
      id: string; code: string; ticket_type_id: string; holder_name: string; revoked_at: Date | null; revoked_reason: string | null; sync_version: number; checked_in_at: Date | null;
    }>`
      /* tickets.findListTicketsSince */
      select t.id, t.code, t.ticket_type_id, t.holder_name, t.revoked_at, t.revoked_reason, t.sync_version, c.scanned_at as checked_in_at
      from tickets t
      left join checkins c on c.ticket_id = t.id and c.checkin_list_id = ${list.id}::uuid
      where t.event_id = ${list.event_id}::uuid
        and (t.sync_version, t.id) > (${after.version}::bigint, ${after.id}::uuid)
        and (cardinality(${list.ticket_type_ids}::uuid[]) = 0 or t.ticket_type_id = any(${list.ticket_type_ids}::uuid[]))
      order by t.sync_version, t.id
      limit ${limit}`.execute(this.db);
    return rows;
  }

  /** countListStats: per ticket type of the list, valid tickets and how many of them got in on this list. */
  async countListStats(list: { id: string; event_id: string; ticket_type_ids: string[] }): Promise<{ ticket_type_id: string; name: string; total: number; checked_in: number }[]> {
    const { rows } = await sql<{ ticket_type_id: string; name: string; total: number; checked_in: number }>`
      /* tickets.countListStats */
      select tt.id as ticket_type_id, tt.name,
             count(t.id)::int as total,
             count(c.id)::int as checked_in
      from ticket_types tt
      left join tickets t on t.ticket_type_id = tt.id and t.revoked_at is null
      left join checkins c on c.ticket_id = t.id and c.checkin_list_id = ${list.id}::uuid
      where tt.event_id = ${list.event_id}::uuid
        and (cardinality(${list.ticket_type_ids}::uuid[]) = 0 or tt.id = any(${list.ticket_type_ids}::uuid[]))
      group by tt.id, tt.name, tt.sort_order
      order by tt.sort_order, tt.id`.execute(this.db);
    return rows;
  }

}
