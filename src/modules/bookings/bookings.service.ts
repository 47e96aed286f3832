import { Tokens } from '../identity/tokens.js';
import type { IdempotentResource } from '../../platform/http/idempotency.js';
import type { OrganizersService } from '../organizers/organizers.service.js';
import crypto from 'node:crypto';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import type { Actor } from '../../platform/actor.js';
import { withRetry, type Db } from '../../platform/db/database.js';
import type { BookingStatus } from '../../platform/db/schema.js';
import { errors, type FieldError } from '../../platform/errors.js';
import { uuidv7 } from '../../platform/ids.js';
import { inventoryErrors } from '../inventory/inventory.errors.js';
import type { InventoryService } from '../inventory/inventory.service.js';
import type { HoldRequest } from '../inventory/inventory.repository.js';
import { bookingErrors } from './bookings.errors.js';
import { BookingsRepository, type BookingRow, type Catalogue, type HoldRow } from './bookings.repository.js';

export interface CreateBookingInput {
  eventId: string;
  items: { ticketTypeId: string; quantity: number }[];
  buyer: { name: string; email: string; phone: string };
}

export interface BookingView {
  id: string;
  eventId: string;
  status: BookingStatus;
  items: { ticketTypeId: string; name: string; quantity: number; unitPrice: number; subtotal: number }[];
  total: number;
  currency: string;
  buyer: { name: string; email: string; phone: string };
  expiresAt: string;
  createdAt: string;
  cancelledAt: string | null;
  expiredAt: string | null;
  confirmedAt: string | null;
}

export type CreatedBooking = BookingView & { bookingAccessToken?: string };

/** How long the event/ticket-type description (not the counters) may be reused between bookings. */
const CATALOGUE_TTL_MS = 1000;
const hashToken = (token: string) => Tokens.hash(token);

/** Does a guest's booking access token match the stored hash (constant time)? Used by bookings and payments. */
export function bookingTokenMatches(storedHash: string | null, token: string | undefined): boolean {
  if (!token || !storedHash) return false;
  const given = Buffer.from(hashToken(token));
  const stored = Buffer.from(storedHash);
  return given.length === stored.length && crypto.timingSafeEqual(given, stored);
}
class NotAvailable extends Error {}

/** Bookings: create (holds inventory), read, cancel, expire. */
export class BookingsService {
  readonly repo: BookingsRepository;
  private readonly catalogues = new Map<string, { at: number; value: Promise<Catalogue | undefined> }>();

  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly inventory: InventoryService,
    private readonly organizers: OrganizersService,
    private readonly log?: Logger,
  ) {
    this.repo = new BookingsRepository(db);
  }

  private catalogue(eventId: string, fresh = false): Promise<Catalogue | undefined> {
    const now = Date.now();
    const hit = this.catalogues.get(eventId);
    if (!fresh && hit && now - hit.at < CATALOGUE_TTL_MS) return hit.value;
    const value = this.repo.findCatalogue(eventId);
    this.catalogues.set(eventId, { at: now, value });
    if (this.catalogues.size > 10_000) for (const [k, v] of this.catalogues) if (now - v.at >= CATALOGUE_TTL_MS) this.catalogues.delete(k);
    value.catch(() => this.catalogues.delete(eventId));
    return value;
  }

  /**
   * Book. `resource` comes from the Idempotency-Key claim: the booking takes its id, and when an
   * earlier request with the same key died after committing (a takeover), that booking is
   * answered again instead of holding the tickets a second time.
   */
  async create(actor: Actor | null, input: CreateBookingInput, resource?: IdempotentResource): Promise<CreatedBooking> {
    if (resource?.takeover) {
      const recovered = await this.recover(actor, resource.id);
      if (recovered) return recovered;
    }
    const fieldErrors: FieldError[] = [];
    const phone = parsePhoneNumberFromString(input.buyer.phone.trim());
    if (!phone || !phone.isValid()) {
      fieldErrors.push({ field: 'buyer.phone', message: 'must be a valid phone number in international format, e.g. +250788123456' });
    }
    const seen = new Set<string>();
    input.items.forEach((item, i) => {
      if (seen.has(item.ticketTypeId)) fieldErrors.push({ field: `items.${i}.ticketTypeId`, message: 'appears twice; give one item per ticket type' });
      seen.add(item.ticketTypeId);
    });
    if (fieldErrors.length) throw bookingErrors.invalid(fieldErrors);

    const cat = await this.catalogue(input.eventId);
    this.checkEvent(cat, input.eventId);
    const types = input.items.map((item, i) => {
      const tt = cat!.ticketTypes.get(item.ticketTypeId);
      if (!tt) {
        fieldErrors.push({ field: `items.${i}.ticketTypeId`, message: 'is not a ticket type of this event' });
        return undefined;
      }
      if (item.quantity < tt.min_per_order) fieldErrors.push({ field: `items.${i}.quantity`, message: `must be at least ${tt.min_per_order} for ${tt.name}` });
      if (item.quantity > tt.max_per_order) fieldErrors.push({ field: `items.${i}.quantity`, message: `must be at most ${tt.max_per_order} for ${tt.name}` });
      return tt;
    });
    if (!fieldErrors.length && new Set(types.map((t) => t!.currency)).size > 1) {
      fieldErrors.push({ field: 'items', message: 'all ticket types of one booking must be sold in the same currency' });
    }
    if (fieldErrors.length) throw bookingErrors.invalid(fieldErrors);
    const now = new Date();
    const closed = types.filter((t) => (t!.sales_start && t!.sales_start > now) || (t!.sales_end && t!.sales_end <= now)).map((t) => t!.id);
    if (closed.length) throw inventoryErrors.salesClosed(closed);

    const accessToken = actor ? undefined : crypto.randomBytes(24).toString('base64url');
    const request: Omit<HoldRequest, 'quantity'> = {
      bookingId: resource?.id ?? uuidv7(),
      userId: actor?.userId ?? null,
      buyerName: input.buyer.name.trim(),
      buyerEmail: input.buyer.email.trim().toLowerCase(),
      buyerPhone: phone!.number,
      accessTokenHash: accessToken ? hashToken(accessToken) : null,
    };
    const names = new Map(types.map((t) => [t!.id, t!.name]));
    const base = {
      id: request.bookingId,
      eventId: input.eventId,
      status: 'pending' as const,
      buyer: { name: request.buyerName, email: request.buyerEmail, phone: request.buyerPhone },
      cancelledAt: null,
      expiredAt: null,
      confirmedAt: null,
      ...(accessToken ? { bookingAccessToken: accessToken } : {}),
    };

    if (input.items.length === 1 && this.config.ALLOCATOR_BATCHING) {
      const item = input.items[0]!;
      const r = await this.inventory.allocator.allocate(item.ticketTypeId, { ...request, quantity: item.quantity });
      if (!r.ok) {
        if (r.reason === 'sold_out') throw inventoryErrors.soldOut([{ ticketTypeId: item.ticketTypeId, remaining: r.remaining }]);
        throw await this.whyNotAvailable(input);
      }
      const unitPrice = r.total / item.quantity;
      return {
        ...base,
        items: [{ ticketTypeId: item.ticketTypeId, name: names.get(item.ticketTypeId)!, quantity: item.quantity, unitPrice, subtotal: r.total }],
        total: r.total,
        currency: r.currency,
        expiresAt: r.expiresAt.toISOString(),
        createdAt: r.createdAt.toISOString(),
      };
    }

    // Per request: one transaction, guarded increments in ticket type id order (no deadlocks
    // between multi-item bookings), all-or-nothing.
    const sorted = [...input.items].sort((a, b) => (a.ticketTypeId < b.ticketTypeId ? -1 : 1));
    try {
      const made = await withRetry(() =>
        this.db.transaction().execute(async (tx) => {
          const holds: { ticketTypeId: string; quantity: number; unitPrice: number; currency: string }[] = [];
          for (const item of sorted) {
            const taken = await this.inventory.repo.takeHold(tx, item.ticketTypeId, item.quantity);
            if (!taken) throw new NotAvailable();
            holds.push({ ticketTypeId: item.ticketTypeId, quantity: item.quantity, unitPrice: taken.price, currency: taken.currency });
          }
          const b = await this.inventory.repo.insertBooking(
            tx,
            { ...request, eventId: input.eventId, holdMinutes: cat!.hold_minutes, currency: holds[0]!.currency },
            holds,
          );
          return { ...b, holds };
        }),
      );
      const byType = new Map(made.holds.map((h) => [h.ticketTypeId, h]));
      return {
        ...base,
        items: input.items.map((i) => {
          const h = byType.get(i.ticketTypeId)!;
          return { ticketTypeId: i.ticketTypeId, name: names.get(i.ticketTypeId)!, quantity: i.quantity, unitPrice: h.unitPrice, subtotal: h.unitPrice * i.quantity };
        }),
        total: made.total,
        currency: made.holds[0]!.currency,
        expiresAt: made.expiresAt.toISOString(),
        createdAt: made.createdAt.toISOString(),
      };
    } catch (e) {
      if (e instanceof NotAvailable) throw await this.whyNotAvailable(input);
      throw e;
    }
  }

  private async recover(actor: Actor | null, id: string): Promise<CreatedBooking | undefined> {
    const b = await this.repo.findById(id);
    if (!b) return undefined;
    this.log?.warn({ bookingId: id }, 'idempotent retry after a lost response: answering the booking already made');
    const view = toView(b, await this.repo.findHolds([id]));
    if (actor || b.user_id) return view;
    const accessToken = crypto.randomBytes(24).toString('base64url');
    await this.repo.replaceAccessToken(id, hashToken(accessToken));
    return { ...view, bookingAccessToken: accessToken };
  }

  private checkEvent(cat: Catalogue | undefined, eventId: string) {
    if (!cat || cat.status === 'draft') throw bookingErrors.eventNotFound(eventId);
    if (cat.status === 'cancelled') throw bookingErrors.eventCancelled(eventId);
    if (cat.status === 'completed') throw bookingErrors.eventEnded(eventId);
  }

  /** The database refused: tell the buyer why, from a fresh read. */
  private async whyNotAvailable(input: CreateBookingInput) {
    const cat = await this.catalogue(input.eventId, true);
    try {
      this.checkEvent(cat, input.eventId);
    } catch (e) {
      return e;
    }
    const now = new Date();
    const closed = input.items
      .map((i) => cat!.ticketTypes.get(i.ticketTypeId))
      .filter((t) => !t || (t.sales_start && t.sales_start > now) || (t.sales_end && t.sales_end <= now))
      .map((t) => t?.id ?? '');
    if (closed.length) return inventoryErrors.salesClosed(closed);
    const remaining = await this.inventory.repo.remainingFor(input.items.map((i) => i.ticketTypeId));
    return inventoryErrors.soldOut(input.items.map((i) => ({ ticketTypeId: i.ticketTypeId, remaining: Math.max(0, remaining.get(i.ticketTypeId) ?? 0) })));
  }

  /**
   * What the caller may do with a booking: `manage` (read and cancel) for its buyer, a guest with
   * its token, admins and the organizer's owners/managers; `read` for the organizer's other members.
   */
  private async access(actor: Actor | null, b: BookingRow, token: string | undefined): Promise<'none' | 'read' | 'manage'> {
    if (bookingTokenMatches(b.access_token_hash, token)) return 'manage';
    if (!actor) return 'none';
    if (actor.isAdmin || b.user_id === actor.userId) return 'manage';
    const role = await this.organizers.accessOf(actor, b.organizer_id);
    if (role === 'owner' || role === 'manager') return 'manage';
    return role ? 'read' : 'none';
  }

  async get(actor: Actor | null, id: string, token?: string): Promise<BookingView> {
    if (!actor && !token) throw errors.unauthenticated('Sign in, or pass the booking access token (X-Booking-Token header or ?token=).');
    const b = await this.repo.findById(id);
    if (!b || (await this.access(actor, b, token)) === 'none') throw bookingErrors.notFound(id);
    const holds = await this.repo.findHolds([id]);
    return toView(b, holds);
  }

  async list(actor: Actor, o: { limit: number; cursor?: string; status?: BookingStatus }): Promise<{ items: BookingView[]; nextCursor: string | null }> {
    const rows = await this.repo.listByUser(actor.userId, { limit: o.limit + 1, before: o.cursor, status: o.status });
    const page = rows.slice(0, o.limit);
    const holds = await this.repo.findHolds(page.map((b) => b.id));
    const byBooking = new Map<string, HoldRow[]>();
    for (const h of holds) byBooking.set(h.booking_id, [...(byBooking.get(h.booking_id) ?? []), h]);
    return {
      items: page.map((b) => toView(b, byBooking.get(b.id) ?? [])),
      nextCursor: rows.length > o.limit ? page[page.length - 1]!.id : null,
    };
  }

  /** pending → cancelled, inventory released at once. */
  async cancel(actor: Actor | null, id: string, token?: string): Promise<BookingView> {
    if (!actor && !token) throw errors.unauthenticated('Sign in, or pass the booking access token (X-Booking-Token header or ?token=).');
    const b = await this.repo.findById(id);
    const access = b ? await this.access(actor, b, token) : 'none';
    if (!b || access === 'none') throw bookingErrors.notFound(id);
    if (access !== 'manage') throw errors.forbidden('Only the buyer, an admin or the organizer’s owners and managers can cancel a booking.');
    const released = await withRetry(() => this.repo.cancelPending(id));
    if (!released) {
      const now = await this.repo.findById(id);
      throw bookingErrors.notPending(id, now?.status ?? b.status);
    }
    this.log?.info({ bookingId: id }, 'booking cancelled; holds released');
    return toView((await this.repo.findById(id))!, await this.repo.findHolds([id]));
  }

  /** The keyed expiry job: release this booking's holds if it is still pending and due. */
  async expire(bookingId: string): Promise<boolean> {
    const ids = await withRetry(() => this.repo.expireDue({ ids: [bookingId], limit: 1 }));
    return ids.length === 1;
  }

  /** The periodic sweep (safety net for lost jobs): expire everything due, in chunks. */
  async sweepExpired(chunk = 500): Promise<number> {
    let total = 0;
    for (;;) {
      const ids = await withRetry(() => this.repo.expireDue({ limit: chunk }));
      total += ids.length;
      if (ids.length < chunk) return total;
    }
  }
}

function toView(b: BookingRow, holds: HoldRow[]): BookingView {
  return {
    id: b.id,
    eventId: b.event_id,
    status: b.status,
    items: holds.map((h) => ({ ticketTypeId: h.ticket_type_id, name: h.name, quantity: h.quantity, unitPrice: h.unit_price, subtotal: h.unit_price * h.quantity })),
    total: b.total,
    currency: b.currency,
    buyer: { name: b.buyer_name, email: b.buyer_email, phone: b.buyer_phone },
    expiresAt: b.expires_at.toISOString(),
    createdAt: b.created_at.toISOString(),
    cancelledAt: b.cancelled_at?.toISOString() ?? null,
    expiredAt: b.expired_at?.toISOString() ?? null,
    confirmedAt: b.confirmed_at?.toISOString() ?? null,
  };
}
