import { sql, type Selectable } from 'kysely';
import { translatePgError, type Executor } from '../../platform/db/database.js';
import type { EventStatus, EventsTable, TicketTypesTable, VenuesTable } from '../../platform/db/schema.js';
import { errors } from '../../platform/errors.js';

export type VenueRow = Selectable<VenuesTable>;
export type EventRow = Omit<Selectable<EventsTable>, 'search_vector'>;
export type TicketTypeRow = Selectable<TicketTypesTable>;

/** An event joined with its venue and organizer, as the API shows it. */
export interface EventListRow extends EventRow {
  venue_name: string;
  venue_city: string;
  venue_country: string;
  venue_timezone: string;
  organizer_name: string;
  lowest_price: number | null;
  lowest_price_currency: string | null;
  /** starts_at in UTC with microseconds: the cursor key (a JS Date would lose precision). */
  cursor_ts: string;
}

export interface EventListFilter {
  id?: string;
  /** Only published events (the public catalogue). */
  publishedOnly?: boolean;
  status?: EventStatus;
  organizerId?: string;
  city?: string;
  from?: string;
  to?: string;
  q?: string;
  after?: { startsAt: string; id: string };
  limit: number;
}

const EVENT_COLUMNS = [
  'e.id',
  'e.organizer_id',
  'e.venue_id',
  'e.name',
  'e.description',
  'e.starts_at',
  'e.ends_at',
  'e.timezone',
  'e.status',
  'e.hold_minutes',
  'e.published_at',
  'e.cancelled_at',
  'e.created_at',
  'e.updated_at',
] as const;

/** A violated ends-after-starts check is bad input (two concurrent edits can produce it). */
const eventCheck = (constraint?: string) =>
  constraint === 'events_ends_after_starts'
    ? errors.invalidField('endsAt', 'must be after startsAt')
    : errors.validation([{ field: 'body', message: `violates ${constraint ?? 'a rule'}` }]);

const ticketTypeCheck = (constraint?: string) => {
  switch (constraint) {
    case 'ticket_types_sales_window':
      return errors.invalidField('salesEnd', 'must be after salesStart');
    case 'ticket_types_order_limits':
      return errors.invalidField('maxPerOrder', 'must be at least minPerOrder');
    case 'ticket_types_never_oversell':
      return errors.conflict('capacity_below_sold', 'Capacity cannot drop below what is sold or held.');
    default:
      return errors.validation([{ field: 'body', message: `violates ${constraint ?? 'a rule'}` }]);
  }
};

/** All SQL of venues, events, ticket types and the catalogue. Accepts the pool or a transaction. */
/** The writable fields of a ticket type, as inserted and patched. */
export interface TicketTypeFields {
  name: string;
  description: string;
  price: number;
  currency: string;
  capacity: number;
  salesStart: string | null;
  salesEnd: string | null;
  minPerOrder: number;
  maxPerOrder: number;
  visibility: 'public' | 'hidden';
  sortOrder: number;
}

export class EventsRepository {
  constructor(private readonly db: Executor) {}

  with(tx: Executor): EventsRepository {
    return new EventsRepository(tx);
  }

  // ---- venues ----

  async insertVenue(v: { organizerId: string; name: string; city: string; country: string; timezone: string; capacity: number }): Promise<VenueRow> {
    return this.db
      .insertInto('venues')
      .values({ organizer_id: v.organizerId, name: v.name, city: v.city, country: v.country, timezone: v.timezone, capacity: v.capacity })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async findVenue(id: string): Promise<VenueRow | undefined> {
    return this.db.selectFrom('venues').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async listVenues(organizerId: string): Promise<VenueRow[]> {
    return this.db.selectFrom('venues').selectAll().where('organizer_id', '=', organizerId).orderBy('name').orderBy('id').execute();
  }

  async updateVenue(
    id: string,
    patch: Partial<{ name: string; city: string; country: string; timezone: string; capacity: number }>,
  ): Promise<VenueRow | undefined> {
    return this.db
      .updateTable('venues')
      .set({ ...patch, updated_at: sql`now()` })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
  }

  // ---- events ----

  async insertEvent(e: {
    organizerId: string;
    venueId: string;
    name: string;
    description: string;
    startsAt: string;
    endsAt: string;
    timezone: string;
    holdMinutes: number;
  }): Promise<EventRow> {
    try {
      return await this.db
        .insertInto('events')
        .values({
          organizer_id: e.organizerId,
          venue_id: e.venueId,
          name: e.name,
          description: e.description,
          starts_at: e.startsAt,
          ends_at: e.endsAt,
          timezone: e.timezone,
          hold_minutes: e.holdMinutes,
        })
        .returning(EVENT_COLUMNS.map((c) => c.slice(2) as 'id'))
        .executeTakeFirstOrThrow() as unknown as EventRow;
    } catch (err) {
      translatePgError(err, { check: eventCheck });
    }
  }

  /**
   * Recompute the full-text document of events ('simple' config, so names in any language match
   * as written): name (weight A), venue name and city (B), description (C). By event or by venue.
   */
  async refreshSearchVector(by: { eventId: string } | { venueId: string }): Promise<void> {
    const where = 'eventId' in by ? sql`e.id = ${by.eventId}` : sql`e.venue_id = ${by.venueId}`;
    await sql`
      update events e set search_vector =
          setweight(to_tsvector('simple', e.name), 'A')
        || setweight(to_tsvector('simple', v.name || ' ' || v.city), 'B')
        || setweight(to_tsvector('simple', e.description), 'C')
      from venues v
      where v.id = e.venue_id and ${where}
    `.execute(this.db);
  }

  async findEvent(id: string): Promise<EventRow | undefined> {
    return this.db.selectFrom('events as e').select(EVENT_COLUMNS).where('e.id', '=', id).executeTakeFirst();
  }

  /** Lock the event row: serializes ticket-type changes and status changes of one event. */
  async lockEvent(id: string): Promise<EventRow | undefined> {
    return this.db.selectFrom('events as e').select(EVENT_COLUMNS).where('e.id', '=', id).forUpdate().executeTakeFirst();
  }

  /** Applies the patch unless the event is cancelled or completed (then undefined). */
  async updateEvent(
    id: string,
    patch: Partial<{ name: string; description: string; venueId: string; startsAt: string; endsAt: string; timezone: string; holdMinutes: number }>,
  ): Promise<EventRow | undefined> {
    try {
      return await this.db
        .updateTable('events')
        .set({
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.description !== undefined ? { description: patch.description } : {}),
          ...(patch.venueId !== undefined ? { venue_id: patch.venueId } : {}),
          ...(patch.startsAt !== undefined ? { starts_at: patch.startsAt } : {}),
          ...(patch.endsAt !== undefined ? { ends_at: patch.endsAt } : {}),
          ...(patch.timezone !== undefined ? { timezone: patch.timezone } : {}),
          ...(patch.holdMinutes !== undefined ? { hold_minutes: patch.holdMinutes } : {}),
          updated_at: sql`now()`,
        })
        .where('id', '=', id)
        .where('status', 'in', ['draft', 'published'])
        .returning(EVENT_COLUMNS.map((c) => c.slice(2) as 'id'))
        .executeTakeFirst() as unknown as EventRow | undefined;
    } catch (err) {
      translatePgError(err, { check: eventCheck });
    }
  }

  /**
   * Move the event to `to` if its status is one of `from` (and, when publishing, it has a ticket
   * type) in one guarded UPDATE. Undefined when the guard refused.
   */
  async transitionEvent(id: string, from: EventStatus[], to: EventStatus): Promise<EventRow | undefined> {
    let q = this.db
      .updateTable('events')
      .set({
        status: to,
        updated_at: sql`now()`,
        ...(to === 'published' ? { published_at: sql`now()` } : {}),
        ...(to === 'cancelled' ? { cancelled_at: sql`now()` } : {}),
      })
      .where('id', '=', id)
      .where('status', 'in', from);
    if (to === 'published') {
      q = q.where(({ exists, selectFrom }) => exists(selectFrom('ticket_types as t').select('t.id').whereRef('t.event_id', '=', 'events.id')));
    }
    return q.returning(EVENT_COLUMNS.map((c) => c.slice(2) as 'id')).executeTakeFirst() as unknown as Promise<EventRow | undefined>;
  }

  /** Events with venue and organizer, ordered by (starts_at, id), keyset-paginated. */
  async listEvents(f: EventListFilter): Promise<EventListRow[]> {
    let q = this.db
      .selectFrom('events as e')
      .innerJoin('venues as v', 'v.id', 'e.venue_id')
      .innerJoin('organizers as o', 'o.id', 'e.organizer_id')
      .select(EVENT_COLUMNS)
      .select([
        'v.name as venue_name',
        'v.city as venue_city',
        'v.country as venue_country',
        'v.timezone as venue_timezone',
        'o.name as organizer_name',
        sql<number | null>`(select min(t.price) from ticket_types t where t.event_id = e.id and t.visibility = 'public')`.as('lowest_price'),
        sql<string | null>`(select min(t.currency) from ticket_types t where t.event_id = e.id and t.visibility = 'public')`.as(
          'lowest_price_currency',
        ),
        sql<string>`to_char(e.starts_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('cursor_ts'),
      ])
      .orderBy('e.starts_at')
      .orderBy('e.id')
      .limit(f.limit);
    if (f.id) q = q.where('e.id', '=', f.id);
    if (f.publishedOnly) q = q.where('e.status', '=', 'published');
    if (f.status) q = q.where('e.status', '=', f.status);
    if (f.organizerId) q = q.where('e.organizer_id', '=', f.organizerId);
    if (f.city) q = q.where(sql<boolean>`lower(v.city) = lower(${f.city})`);
    if (f.from) q = q.where(sql<boolean>`e.starts_at >= ${f.from}::timestamptz`);
    if (f.to) q = q.where(sql<boolean>`e.starts_at < ${f.to}::timestamptz`);
    if (f.q) q = q.where(sql<boolean>`e.search_vector @@ websearch_to_tsquery('simple', ${f.q})`);
    if (f.after) q = q.where(sql<boolean>`(e.starts_at, e.id) > (${f.after.startsAt}::timestamptz, ${f.after.id}::uuid)`);
    return q.execute() as unknown as Promise<EventListRow[]>;
  }

  // ---- ticket types ----

  async insertTicketType(t: TicketTypeFields & { eventId: string }): Promise<TicketTypeRow> {
    try {
      return await this.db
        .insertInto('ticket_types')
        .values({
          event_id: t.eventId,
          name: t.name,
          description: t.description,
          price: t.price,
          currency: t.currency,
          capacity: t.capacity,
          sales_start: t.salesStart,
          sales_end: t.salesEnd,
          min_per_order: t.minPerOrder,
          max_per_order: t.maxPerOrder,
          visibility: t.visibility,
          sort_order: t.sortOrder,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    } catch (err) {
      translatePgError(err, { check: ticketTypeCheck });
    }
  }

  async findTicketType(id: string): Promise<TicketTypeRow | undefined> {
    return this.db.selectFrom('ticket_types').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async listTicketTypes(eventId: string, opts: { includeHidden: boolean }): Promise<TicketTypeRow[]> {
    let q = this.db.selectFrom('ticket_types').selectAll().where('event_id', '=', eventId);
    if (!opts.includeHidden) q = q.where('visibility', '=', 'public');
    return q.orderBy('sort_order').orderBy('id').execute();
  }

  /** The currency the event's other ticket types use (all share one), if any. */
  async eventCurrency(eventId: string, exceptTicketTypeId?: string): Promise<string | undefined> {
    let q = this.db.selectFrom('ticket_types').select('currency').where('event_id', '=', eventId);
    if (exceptTicketTypeId) q = q.where('id', '<>', exceptTicketTypeId);
    const row = await q.limit(1).executeTakeFirst();
    return row?.currency;
  }

  /**
   * Update a ticket type with the invariants as guards in the same statement (never
   * check-then-write): a new capacity must cover held + sold right now, and price/currency may
   * only change while nothing is held or sold. Undefined when a guard refused.
   */
  async updateTicketType(
    id: string,
    patch: Partial<TicketTypeFields>,
  ): Promise<TicketTypeRow | undefined> {
    let q = this.db
      .updateTable('ticket_types')
      .set({
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(patch.price !== undefined ? { price: patch.price } : {}),
        ...(patch.currency !== undefined ? { currency: patch.currency } : {}),
        ...(patch.capacity !== undefined ? { capacity: patch.capacity } : {}),
        ...(patch.salesStart !== undefined ? { sales_start: patch.salesStart } : {}),
        ...(patch.salesEnd !== undefined ? { sales_end: patch.salesEnd } : {}),
        ...(patch.minPerOrder !== undefined ? { min_per_order: patch.minPerOrder } : {}),
        ...(patch.maxPerOrder !== undefined ? { max_per_order: patch.maxPerOrder } : {}),
        ...(patch.visibility !== undefined ? { visibility: patch.visibility } : {}),
        ...(patch.sortOrder !== undefined ? { sort_order: patch.sortOrder } : {}),
        updated_at: sql`now()`,
      })
      .where('id', '=', id);
    if (patch.capacity !== undefined) q = q.where(sql<boolean>`held + sold <= ${patch.capacity}`);
    if (patch.price !== undefined || patch.currency !== undefined) {
      const price = patch.price === undefined ? sql`price` : sql`${patch.price}::bigint`;
      const currency = patch.currency === undefined ? sql`currency` : sql`${patch.currency}::char(3)`;
      q = q.where(sql<boolean>`((price = ${price} and currency = ${currency}) or (held = 0 and sold = 0))`);
    }
    try {
      return await q.returningAll().executeTakeFirst();
    } catch (err) {
      translatePgError(err, { check: ticketTypeCheck });
    }
  }
}
