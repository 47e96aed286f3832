import type { Db, Executor } from '../../platform/db/database.js';
import type { EventStatus } from '../../platform/db/schema.js';
import type { Actor } from '../../platform/actor.js';
import { errors } from '../../platform/errors.js';
import { ANY_ROLE, MANAGER_ROLES, transact, type OrganizersService } from '../organizers/organizers.service.js';
import { eventsErrors } from './events.errors.js';
import { EventsRepository, type EventListRow, type EventRow, type TicketTypeRow, type VenueRow } from './events.repository.js';
import { FieldChecks, minorUnit, normalizeCountry, normalizeCurrency, normalizeTimezone } from './events.validation.js';
import type { AuditEntryInput, AuditService, RequestMeta } from '../audit/audit.service.js';

// ---- inputs ----

export interface VenueInput {
  name: string;
  city: string;
  country: string;
  timezone: string;
  capacity: number;
}

export interface EventInput {
  name: string;
  description?: string;
  venueId: string;
  startsAt: string;
  endsAt: string;
  /** IANA time zone; defaults to the venue's. */
  timezone?: string;
  holdMinutes?: number;
}

export interface TicketTypeInput {
  name: string;
  description?: string;
  /** Integer in the currency's minor unit (RWF and UGX have none: 5000 means 5,000 RWF). */
  price: number;
  currency: string;
  capacity: number;
  salesStart?: string | null;
  salesEnd?: string | null;
  minPerOrder?: number;
  maxPerOrder?: number;
  visibility?: 'public' | 'hidden';
  sortOrder?: number;
}

export interface ListEventsQuery {
  from?: string;
  to?: string;
  city?: string;
  organizerId?: string;
  q?: string;
  status?: EventStatus;
  cursor?: string;
  limit?: number;
}

// ---- views ----

export interface VenueView {
  id: string;
  organizerId: string;
  name: string;
  city: string;
  country: string;
  timezone: string;
  capacity: number;
  createdAt: string;
  updatedAt: string;
}

export type SalesStatus = 'not_started' | 'on_sale' | 'ended' | 'sold_out';

export interface TicketTypeView {
  id: string;
  eventId: string;
  name: string;
  description: string;
  price: number;
  currency: string;
  /** Digits of the currency's minor unit: price / 10^minorUnit is the amount (0 for RWF). */
  minorUnit: number;
  capacity: number;
  /** capacity - held - sold, right now. */
  remaining: number;
  /** Members of the organizer only. */
  held?: number;
  sold?: number;
  salesStart: string | null;
  salesEnd: string | null;
  salesStatus: SalesStatus;
  minPerOrder: number;
  maxPerOrder: number;
  visibility: 'public' | 'hidden';
  sortOrder: number;
  createdAt: string;
  updatedAt: string;
}

export interface EventView {
  id: string;
  organizerId: string;
  organizer: { id: string; name: string };
  venueId: string;
  venue: { id: string; name: string; city: string; country: string; timezone: string };
  name: string;
  description: string;
  startsAt: string;
  endsAt: string;
  timezone: string;
  status: EventStatus;
  holdMinutes: number;
  publishedAt: string | null;
  cancelledAt: string | null;
  /** The cheapest public ticket type, null when there is none yet. */
  lowestPrice: { price: number; currency: string; minorUnit: number } | null;
  createdAt: string;
  updatedAt: string;
}

export interface EventDetail extends EventView {
  ticketTypes: TicketTypeView[];
}

const PUBLIC_STATUSES: readonly EventStatus[] = ['published', 'completed', 'cancelled'];
const iso = (d: Date | null) => (d ? d.toISOString() : null);

function toVenueView(v: VenueRow): VenueView {
  return {
    id: v.id,
    organizerId: v.organizer_id,
    name: v.name,
    city: v.city,
    country: v.country,
    timezone: v.timezone,
    capacity: v.capacity,
    createdAt: v.created_at.toISOString(),
    updatedAt: v.updated_at.toISOString(),
  };
}

function toEventView(e: EventListRow): EventView {
  return {
    id: e.id,
    organizerId: e.organizer_id,
    organizer: { id: e.organizer_id, name: e.organizer_name },
    venueId: e.venue_id,
    venue: { id: e.venue_id, name: e.venue_name, city: e.venue_city, country: e.venue_country, timezone: e.venue_timezone },
    name: e.name,
    description: e.description,
    startsAt: e.starts_at.toISOString(),
    endsAt: e.ends_at.toISOString(),
    timezone: e.timezone,
    status: e.status,
    holdMinutes: e.hold_minutes,
    publishedAt: iso(e.published_at),
    cancelledAt: iso(e.cancelled_at),
    lowestPrice:
      e.lowest_price === null || e.lowest_price_currency === null
        ? null
        : { price: e.lowest_price, currency: e.lowest_price_currency, minorUnit: minorUnit(e.lowest_price_currency) },
    createdAt: e.created_at.toISOString(),
    updatedAt: e.updated_at.toISOString(),
  };
}

export function salesStatus(t: TicketTypeRow, now = new Date()): SalesStatus {
  if (t.sales_end && now >= t.sales_end) return 'ended';
  if (t.sales_start && now < t.sales_start) return 'not_started';
  if (t.capacity - t.held - t.sold <= 0) return 'sold_out';
  return 'on_sale';
}

function toTicketTypeView(t: TicketTypeRow, asMember: boolean): TicketTypeView {
  return {
    id: t.id,
    eventId: t.event_id,
    name: t.name,
    description: t.description,
    price: t.price,
    currency: t.currency,
    minorUnit: minorUnit(t.currency),
    capacity: t.capacity,
    remaining: Math.max(0, t.capacity - t.held - t.sold),
    ...(asMember ? { held: t.held, sold: t.sold } : {}),
    salesStart: iso(t.sales_start),
    salesEnd: iso(t.sales_end),
    salesStatus: salesStatus(t),
    minPerOrder: t.min_per_order,
    maxPerOrder: t.max_per_order,
    visibility: t.visibility,
    sortOrder: t.sort_order,
    createdAt: t.created_at.toISOString(),
    updatedAt: t.updated_at.toISOString(),
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Opaque keyset cursor over (starts_at, id). */
export function encodeEventCursor(startsAt: string, id: string): string {
  return Buffer.from(JSON.stringify([startsAt, id])).toString('base64url');
}

export function decodeEventCursor(cursor: string): { startsAt: string; id: string } {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      typeof value[1] === 'string' &&
      !Number.isNaN(Date.parse(value[0])) &&
      UUID.test(value[1])
    ) {
      return { startsAt: value[0], id: value[1] };
    }
  } catch {
    // fall through
  }
  throw eventsErrors.invalidCursor();
}

const time = (s: string) => new Date(s).getTime();

/**
 * Venues, events, ticket types and the public catalogue. Authorization is checked here: managers
 * (owner/manager) write, every member reads drafts and hidden ticket types, the public sees
 * published, completed and cancelled events and public ticket types only.
 */
export class EventsService {
  private readonly repo: EventsRepository;
  /** Catalogue reads (GET /events, GET /events/{id}): a read replica when DATABASE_REPLICA_URL is set. */
  private readonly readRepo: EventsRepository;
  private readonly audit?: AuditService;
  /** Runs in the transaction that cancels an event (context.ts: refunds enqueue the refund of its bookings). */
  onEventCancelled?: (tx: Executor, eventId: string) => Promise<void>;

  constructor(
    readonly db: Db,
    readonly organizers: OrganizersService,
    /** audit: privileged changes recorded in their transaction; readDb: replica for public catalogue reads only. */
    opts: { audit?: AuditService; readDb?: Db } = {},
  ) {
    this.repo = new EventsRepository(db);
    this.readRepo = opts.readDb ? new EventsRepository(opts.readDb) : this.repo;
    this.audit = opts.audit;
  }

  private async record(tx: Executor, entry: AuditEntryInput): Promise<void> {
    if (this.audit) await this.audit.record(tx, entry);
  }

  // ---- venues ----

  async createVenue(actor: Actor, organizerId: string, input: VenueInput, meta: RequestMeta = {}): Promise<VenueView> {
    await this.organizers.requireRole(actor, organizerId, MANAGER_ROLES);
    const v = checkVenue(input) as VenueInput;
    return transact(this.db, async (tx) => {
      const venue = toVenueView(await this.repo.with(tx).insertVenue({ organizerId, ...v }));
      await this.record(tx, {
        actor,
        action: 'venue.created',
        organizerId,
        target: { type: 'venue', id: venue.id },
        requestId: meta.requestId,
        after: pick(venue, Object.keys(v)),
      });
      return venue;
    });
  }

  async listVenues(actor: Actor, organizerId: string): Promise<VenueView[]> {
    await this.organizers.requireRole(actor, organizerId, ANY_ROLE);
    return (await this.repo.listVenues(organizerId)).map(toVenueView);
  }

  async getVenue(actor: Actor, id: string): Promise<VenueView> {
    const venue = await this.repo.findVenue(id);
    if (!venue) throw eventsErrors.venueNotFound(id);
    await this.organizers.requireRole(actor, venue.organizer_id, ANY_ROLE, () => eventsErrors.venueNotFound(id));
    return toVenueView(venue);
  }

  async updateVenue(actor: Actor, id: string, patch: Partial<VenueInput>, meta: RequestMeta = {}): Promise<VenueView> {
    const venue = await this.repo.findVenue(id);
    if (!venue) throw eventsErrors.venueNotFound(id);
    await this.organizers.requireRole(actor, venue.organizer_id, MANAGER_ROLES, () => eventsErrors.venueNotFound(id));
    const v = checkVenue(patch);
    return transact(this.db, async (tx) => {
      const repo = this.repo.with(tx);
      const updated = await repo.updateVenue(id, v);
      if (!updated) throw eventsErrors.venueNotFound(id);
      // Venue name and city are part of the events' search document.
      if (v.name !== undefined || v.city !== undefined) await repo.refreshSearchVector({ venueId: id });
      const view = toVenueView(updated);
      await this.record(tx, {
        actor,
        action: 'venue.updated',
        organizerId: venue.organizer_id,
        target: { type: 'venue', id },
        requestId: meta.requestId,
        before: pick(toVenueView(venue), Object.keys(v)),
        after: pick(view, Object.keys(v)),
      });
      return view;
    });
  }

  // ---- events ----

  async createEvent(actor: Actor, organizerId: string, input: EventInput, meta: RequestMeta = {}): Promise<EventView> {
    await this.organizers.requireRole(actor, organizerId, MANAGER_ROLES);
    const checks = new FieldChecks();
    const name = input.name.trim();
    if (!name) checks.add('name', 'must not be blank');
    if (time(input.endsAt) <= time(input.startsAt)) checks.add('endsAt', 'must be after startsAt');
    let timezone: string | undefined;
    if (input.timezone !== undefined) {
      timezone = normalizeTimezone(input.timezone);
      if (!timezone) checks.add('timezone', 'is not an IANA time zone (e.g. Africa/Kigali)');
    }
    checks.throwIfAny();
    const venue = await this.repo.findVenue(input.venueId);
    if (!venue || venue.organizer_id !== organizerId) throw eventsErrors.venueNotInOrganizer();
    const id = await transact(this.db, async (tx) => {
      const repo = this.repo.with(tx);
      const event = await repo.insertEvent({
        organizerId,
        venueId: venue.id,
        name,
        description: input.description?.trim() ?? '',
        startsAt: new Date(input.startsAt).toISOString(),
        endsAt: new Date(input.endsAt).toISOString(),
        timezone: timezone ?? venue.timezone,
        holdMinutes: input.holdMinutes ?? 15,
      });
      await repo.refreshSearchVector({ eventId: event.id });
      await this.record(tx, {
        actor,
        action: 'event.created',
        organizerId,
        target: { type: 'event', id: event.id },
        requestId: meta.requestId,
        after: eventAudit(event),
      });
      return event.id;
    });
    return this.eventView(id);
  }

  /** An organizer's events, drafts included (members and admins). */
  async listOrganizerEvents(actor: Actor, organizerId: string, query: ListEventsQuery): Promise<{ items: EventView[]; nextCursor: string | null }> {
    await this.organizers.requireRole(actor, organizerId, ANY_ROLE);
    return this.page({ ...query, organizerId }, false);
  }

  /** The public catalogue: published events only. */
  async listPublishedEvents(query: ListEventsQuery): Promise<{ items: EventView[]; nextCursor: string | null }> {
    return this.page(query, true, this.readRepo);
  }

  /**
   * The event with its venue and ticket types (with current availability). Anonymous callers and
   * non-members see published, completed and cancelled events and public ticket types; members
   * and admins also see drafts and hidden ticket types.
   */
  async getEvent(actor: Actor | null, id: string): Promise<EventDetail> {
    // The replica (when configured) may lag: an event it does not know yet is read from the primary.
    let repo = this.readRepo;
    let event = await repo.findEvent(id);
    if (!event && repo !== this.repo) {
      repo = this.repo;
      event = await repo.findEvent(id);
    }
    if (!event) throw eventsErrors.eventNotFound(id);
    const access = await this.organizers.accessOf(actor, event.organizer_id);
    if (access === null && !PUBLIC_STATUSES.includes(event.status)) throw eventsErrors.eventNotFound(id);
    const view = await this.eventView(id, repo);
    const ticketTypes = await repo.listTicketTypes(id, { includeHidden: access !== null });
    return { ...view, ticketTypes: ticketTypes.map((t) => toTicketTypeView(t, access !== null)) };
  }

  async updateEvent(actor: Actor, id: string, patch: Partial<EventInput>, meta: RequestMeta = {}): Promise<EventView> {
    const event = await this.requireEventManager(actor, id);
    assertEditable(event);
    const checks = new FieldChecks();
    const name = patch.name?.trim();
    if (name !== undefined && !name) checks.add('name', 'must not be blank');
    const startsAt = patch.startsAt ?? event.starts_at.toISOString();
    const endsAt = patch.endsAt ?? event.ends_at.toISOString();
    if ((patch.startsAt !== undefined || patch.endsAt !== undefined) && time(endsAt) <= time(startsAt)) {
      checks.add('endsAt', 'must be after startsAt');
    }
    let timezone: string | undefined;
    if (patch.timezone !== undefined) {
      timezone = normalizeTimezone(patch.timezone);
      if (!timezone) checks.add('timezone', 'is not an IANA time zone (e.g. Africa/Kigali)');
    }
    checks.throwIfAny();
    if (patch.venueId !== undefined && patch.venueId !== event.venue_id) {
      const venue = await this.repo.findVenue(patch.venueId);
      if (!venue || venue.organizer_id !== event.organizer_id) throw eventsErrors.venueNotInOrganizer();
    }
    await transact(this.db, async (tx) => {
      const repo = this.repo.with(tx);
      const updated = await repo.updateEvent(id, {
        name,
        description: patch.description?.trim(),
        venueId: patch.venueId,
        startsAt: patch.startsAt === undefined ? undefined : new Date(patch.startsAt).toISOString(),
        endsAt: patch.endsAt === undefined ? undefined : new Date(patch.endsAt).toISOString(),
        timezone,
        holdMinutes: patch.holdMinutes,
      });
      if (!updated) {
        // The guard refused: it was cancelled or completed meanwhile.
        const now = await repo.findEvent(id);
        if (!now) throw eventsErrors.eventNotFound(id);
        assertEditable(now);
        throw eventsErrors.eventNotFound(id);
      }
      await repo.refreshSearchVector({ eventId: id });
      const fields = Object.keys(patch);
      await this.record(tx, {
        actor,
        action: 'event.updated',
        organizerId: event.organizer_id,
        target: { type: 'event', id },
        requestId: meta.requestId,
        before: pick(eventAudit(event), fields),
        after: pick(eventAudit(updated), fields),
      });
    });
    return this.eventView(id);
  }

  /** draft → published; needs at least one ticket type. */
  async publishEvent(actor: Actor, id: string, meta: RequestMeta = {}): Promise<EventView> {
    return this.transition(actor, id, ['draft'], 'published', meta);
  }

  /** draft or published → cancelled. */
  async cancelEvent(actor: Actor, id: string, meta: RequestMeta = {}): Promise<EventView> {
    return this.transition(actor, id, ['draft', 'published'], 'cancelled', meta);
  }

  /** published → completed. */
  async completeEvent(actor: Actor, id: string, meta: RequestMeta = {}): Promise<EventView> {
    return this.transition(actor, id, ['published'], 'completed', meta);
  }

  // ---- ticket types ----

  async createTicketType(actor: Actor, eventId: string, input: TicketTypeInput, meta: RequestMeta = {}): Promise<TicketTypeView> {
    await this.requireEventManager(actor, eventId);
    const checks = new FieldChecks();
    const name = input.name.trim();
    if (!name) checks.add('name', 'must not be blank');
    const currency = normalizeCurrency(input.currency);
    if (!currency) checks.add('currency', 'is not an ISO 4217 currency code (e.g. RWF, UGX, USD)');
    checkWindow(checks, input.salesStart ?? null, input.salesEnd ?? null);
    const min = input.minPerOrder ?? 1;
    const max = input.maxPerOrder ?? Math.max(10, min);
    if (max < min) checks.add('maxPerOrder', 'must be at least minPerOrder');
    checks.throwIfAny();
    return transact(this.db, async (tx) => {
      const repo = this.repo.with(tx);
      // The event lock serializes ticket-type changes of one event (one currency) and status changes.
      const event = await repo.lockEvent(eventId);
      if (!event) throw eventsErrors.eventNotFound(eventId);
      assertEditable(event);
      const existing = await repo.eventCurrency(eventId);
      if (existing && existing !== currency) throw eventsErrors.currencyMismatch(existing, currency!);
      const row = await repo.insertTicketType({
        eventId,
        name,
        description: input.description?.trim() ?? '',
        price: input.price,
        currency: currency!,
        capacity: input.capacity,
        salesStart: toIso(input.salesStart),
        salesEnd: toIso(input.salesEnd),
        minPerOrder: min,
        maxPerOrder: max,
        visibility: input.visibility ?? 'public',
        sortOrder: input.sortOrder ?? 0,
      });
      await this.record(tx, {
        actor,
        action: 'ticket_type.created',
        organizerId: event.organizer_id,
        target: { type: 'ticket_type', id: row.id },
        requestId: meta.requestId,
        after: { eventId, ...ticketTypeAudit(row) },
      });
      return toTicketTypeView(row, true);
    });
  }

  async listTicketTypes(actor: Actor | null, eventId: string): Promise<TicketTypeView[]> {
    const event = await this.repo.findEvent(eventId);
    if (!event) throw eventsErrors.eventNotFound(eventId);
    const access = await this.organizers.accessOf(actor, event.organizer_id);
    if (access === null && !PUBLIC_STATUSES.includes(event.status)) throw eventsErrors.eventNotFound(eventId);
    const rows = await this.repo.listTicketTypes(eventId, { includeHidden: access !== null });
    return rows.map((t) => toTicketTypeView(t, access !== null));
  }

  async updateTicketType(actor: Actor, id: string, patch: Partial<TicketTypeInput>, meta: RequestMeta = {}): Promise<TicketTypeView> {
    const current = await this.repo.findTicketType(id);
    if (!current) throw eventsErrors.ticketTypeNotFound(id);
    const event = await this.repo.findEvent(current.event_id);
    if (!event) throw eventsErrors.ticketTypeNotFound(id);
    // Someone outside the organizer may know a public ticket type of a visible event (403), not the rest (404).
    const visible = PUBLIC_STATUSES.includes(event.status) && current.visibility === 'public';
    await this.organizers.requireRole(actor, event.organizer_id, MANAGER_ROLES, () =>
      visible ? errors.forbidden('Only the organizer can change this ticket type.') : eventsErrors.ticketTypeNotFound(id),
    );
    const checks = new FieldChecks();
    const name = patch.name?.trim();
    if (name !== undefined && !name) checks.add('name', 'must not be blank');
    let currency: string | undefined;
    if (patch.currency !== undefined) {
      currency = normalizeCurrency(patch.currency);
      if (!currency) checks.add('currency', 'is not an ISO 4217 currency code (e.g. RWF, UGX, USD)');
    }
    checks.throwIfAny();

    return transact(this.db, async (tx) => {
      const repo = this.repo.with(tx);
      const locked = await repo.lockEvent(current.event_id);
      if (!locked) throw eventsErrors.ticketTypeNotFound(id);
      assertEditable(locked);
      // Fields that bookings never change: safe to merge from a fresh read under the event lock.
      const fresh = await repo.findTicketType(id);
      if (!fresh) throw eventsErrors.ticketTypeNotFound(id);
      const windowChecks = new FieldChecks();
      const salesStart = patch.salesStart !== undefined ? toIso(patch.salesStart) : iso(fresh.sales_start);
      const salesEnd = patch.salesEnd !== undefined ? toIso(patch.salesEnd) : iso(fresh.sales_end);
      if (patch.salesStart !== undefined || patch.salesEnd !== undefined) checkWindow(windowChecks, salesStart, salesEnd);
      const min = patch.minPerOrder ?? fresh.min_per_order;
      const max = patch.maxPerOrder ?? fresh.max_per_order;
      if (max < min) windowChecks.add('maxPerOrder', 'must be at least minPerOrder');
      windowChecks.throwIfAny();
      if (currency !== undefined && currency !== fresh.currency) {
        const others = await repo.eventCurrency(fresh.event_id, id);
        if (others && others !== currency) throw eventsErrors.currencyMismatch(others, currency);
      }
      const updated = await repo.updateTicketType(id, {
        name,
        description: patch.description?.trim(),
        price: patch.price,
        currency,
        capacity: patch.capacity,
        salesStart: patch.salesStart !== undefined ? salesStart : undefined,
        salesEnd: patch.salesEnd !== undefined ? salesEnd : undefined,
        minPerOrder: patch.minPerOrder,
        maxPerOrder: patch.maxPerOrder,
        visibility: patch.visibility,
        sortOrder: patch.sortOrder,
      });
      if (updated) {
        await this.auditTicketTypeChange(tx, actor, locked.organizer_id, fresh, updated, meta);
        return toTicketTypeView(updated, true);
      }
      // A guard refused; say which one from the row as it is now.
      const now = await repo.findTicketType(id);
      if (!now) throw eventsErrors.ticketTypeNotFound(id);
      const priceChanges =
        (patch.price !== undefined && patch.price !== now.price) || (currency !== undefined && currency !== now.currency);
      if (priceChanges && (now.held > 0 || now.sold > 0)) throw eventsErrors.priceLocked();
      if (patch.capacity !== undefined && now.held + now.sold > patch.capacity) {
        throw eventsErrors.capacityBelowSold(patch.capacity, now.held, now.sold);
      }
      throw errors.busy();
    });
  }

  // ---- internals ----

  /** capacity_changed and price_changed get their own entries (alerts and reports key on them); the rest is ticket_type.updated. */
  private async auditTicketTypeChange(tx: Executor, actor: Actor, organizerId: string, before: TicketTypeRow, after: TicketTypeRow, meta: RequestMeta) {
    const b = ticketTypeAudit(before);
    const a = ticketTypeAudit(after);
    const common = { actor, organizerId, target: { type: 'ticket_type', id: after.id }, requestId: meta.requestId };
    if (b.capacity !== a.capacity) {
      await this.record(tx, { ...common, action: 'ticket_type.capacity_changed', before: { capacity: b.capacity }, after: { capacity: a.capacity } });
    }
    if (b.price !== a.price || b.currency !== a.currency) {
      await this.record(tx, {
        ...common,
        action: 'ticket_type.price_changed',
        before: { price: b.price, currency: b.currency },
        after: { price: a.price, currency: a.currency },
      });
    }
    const other = (Object.keys(a) as (keyof typeof a)[]).filter(
      (k) => !['capacity', 'price', 'currency'].includes(k) && JSON.stringify(a[k]) !== JSON.stringify(b[k]),
    );
    if (other.length) await this.record(tx, { ...common, action: 'ticket_type.updated', before: pick(b, other), after: pick(a, other) });
  }

  /** The event if the caller may manage it: drafts of others are 404, visible events of others 403. */
  private async requireEventManager(actor: Actor, id: string): Promise<EventRow> {
    const event = await this.repo.findEvent(id);
    if (!event) throw eventsErrors.eventNotFound(id);
    await this.organizers.requireRole(actor, event.organizer_id, MANAGER_ROLES, () =>
      PUBLIC_STATUSES.includes(event.status) ? errors.forbidden('Only the organizer can change this event.') : eventsErrors.eventNotFound(id),
    );
    return event;
  }

  private async transition(actor: Actor, id: string, from: EventStatus[], to: EventStatus, meta: RequestMeta = {}): Promise<EventView> {
    const event = await this.requireEventManager(actor, id);
    const updated = await transact(this.db, async (tx) => {
      const row = await this.repo.with(tx).transitionEvent(id, from, to);
      if (row && to === 'cancelled' && this.onEventCancelled) await this.onEventCancelled(tx, id);
      if (row) {
        await this.record(tx, {
          actor,
          action: `event.${to as 'published' | 'cancelled' | 'completed'}`,
          organizerId: event.organizer_id,
          target: { type: 'event', id },
          requestId: meta.requestId,
          before: { status: from.includes(event.status) ? event.status : from[0] },
          after: { status: to },
        });
      }
      return row;
    });
    if (!updated) {
      const now = await this.repo.findEvent(id);
      if (!now) throw eventsErrors.eventNotFound(id);
      if (!from.includes(now.status)) throw eventsErrors.invalidStatusTransition(now.status, to);
      if (to === 'published') throw eventsErrors.eventHasNoTicketTypes();
      throw errors.busy();
    }
    return this.eventView(id);
  }

  private async eventView(id: string, repo: EventsRepository = this.repo): Promise<EventView> {
    const [row] = await repo.listEvents({ id, limit: 1 });
    if (!row) throw eventsErrors.eventNotFound(id);
    return toEventView(row);
  }

  private async page(query: ListEventsQuery, publishedOnly: boolean, repo: EventsRepository = this.repo): Promise<{ items: EventView[]; nextCursor: string | null }> {
    const limit = query.limit ?? 20;
    if (query.from && query.to && time(query.to) <= time(query.from)) throw errors.invalidField('to', 'must be after from');
    const after = query.cursor ? decodeEventCursor(query.cursor) : undefined;
    const q = query.q?.trim();
    const rows = await repo.listEvents({
      publishedOnly,
      status: query.status,
      organizerId: query.organizerId,
      city: query.city?.trim() || undefined,
      from: query.from,
      to: query.to,
      q: q || undefined,
      after,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toEventView),
      nextCursor: rows.length > limit && last ? encodeEventCursor(last.cursor_ts, last.id) : null,
    };
  }
}

/** The fields of `o` named in `keys` (audit before/after of a patch). */
function pick(o: object, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (k in o) out[k] = (o as Record<string, unknown>)[k];
  return out;
}

function eventAudit(e: EventRow) {
  return {
    name: e.name,
    description: e.description,
    venueId: e.venue_id,
    startsAt: e.starts_at.toISOString(),
    endsAt: e.ends_at.toISOString(),
    timezone: e.timezone,
    holdMinutes: e.hold_minutes,
    status: e.status,
  };
}

function ticketTypeAudit(t: TicketTypeRow) {
  return {
    name: t.name,
    description: t.description,
    price: t.price,
    currency: t.currency,
    capacity: t.capacity,
    salesStart: iso(t.sales_start),
    salesEnd: iso(t.sales_end),
    minPerOrder: t.min_per_order,
    maxPerOrder: t.max_per_order,
    visibility: t.visibility,
    sortOrder: t.sort_order,
  };
}

function assertEditable(event: { status: EventStatus }) {
  if (event.status === 'cancelled') throw eventsErrors.eventCancelled();
  if (event.status === 'completed') throw eventsErrors.eventCompleted();
}

function toIso(value: string | null | undefined): string | null {
  return value === undefined || value === null ? null : new Date(value).toISOString();
}

function checkWindow(checks: FieldChecks, start: string | null, end: string | null) {
  if (start !== null && end !== null && time(end) <= time(start)) checks.add('salesEnd', 'must be after salesStart');
}

/** Normalizes the venue fields present; throws a 400 listing every bad one. */
function checkVenue<T extends Partial<VenueInput>>(input: T): Partial<VenueInput> {
  const checks = new FieldChecks();
  const out: Partial<VenueInput> = {};
  if (input.name !== undefined) {
    out.name = input.name.trim();
    if (!out.name) checks.add('name', 'must not be blank');
  }
  if (input.city !== undefined) {
    out.city = input.city.trim();
    if (!out.city) checks.add('city', 'must not be blank');
  }
  if (input.country !== undefined) {
    out.country = normalizeCountry(input.country);
    if (!out.country) checks.add('country', 'is not an ISO 3166-1 alpha-2 country code (e.g. RW)');
  }
  if (input.timezone !== undefined) {
    out.timezone = normalizeTimezone(input.timezone);
    if (!out.timezone) checks.add('timezone', 'is not an IANA time zone (e.g. Africa/Kigali)');
  }
  if (input.capacity !== undefined) out.capacity = input.capacity;
  checks.throwIfAny();
  return out;
}
