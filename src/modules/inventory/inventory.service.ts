import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import type { Db } from '../../platform/db/database.js';
import { errors } from '../../platform/errors.js';
import { Allocator } from './allocator.js';
import { InventoryRepository, type AvailabilityRow, type CounterDrift } from './inventory.repository.js';

export interface TicketTypeAvailability {
  ticketTypeId: string;
  name: string;
  price: number;
  currency: string;
  capacity: number;
  remaining: number;
  status: 'on_sale' | 'sold_out' | 'not_started' | 'ended';
}

export interface EventAvailability {
  eventId: string;
  ticketTypes: TicketTypeAvailability[];
  asOf: string;
}

/** Availability may be this stale; it is for display only, never used to decide a booking. */
const AVAILABILITY_TTL_MS = 1000;

/** Inventory: the allocator, availability for display, and the counter recount. */
export class InventoryService {
  readonly repo: InventoryRepository;
  readonly allocator: Allocator;
  private readonly cache = new Map<string, { at: number; value: Promise<EventAvailability> }>();

  constructor(
    private readonly db: Db,
    config: Config,
    log?: Logger,
  ) {
    this.repo = new InventoryRepository(db);
    this.allocator = new Allocator(this.repo, { maxBatch: config.ALLOCATOR_MAX_BATCH, maxWaitMs: config.ALLOCATOR_MAX_WAIT_MS }, log);
  }

  /** GET /events/{id}/availability: published events only, cached ≤ 1 s in process. */
  async availability(eventId: string): Promise<EventAvailability> {
    const now = Date.now();
    const hit = this.cache.get(eventId);
    if (hit && now - hit.at < AVAILABILITY_TTL_MS) return hit.value;
    const value = this.loadAvailability(eventId);
    this.cache.set(eventId, { at: now, value });
    if (this.cache.size > 10_000) for (const [k, v] of this.cache) if (now - v.at >= AVAILABILITY_TTL_MS) this.cache.delete(k);
    value.catch(() => this.cache.delete(eventId));
    return value;
  }

  private async loadAvailability(eventId: string): Promise<EventAvailability> {
    const event = await this.db.selectFrom('events').select(['id', 'status']).where('id', '=', eventId).executeTakeFirst();
    if (!event || (event.status !== 'published' && event.status !== 'completed' && event.status !== 'cancelled')) {
      throw errors.notFound('event', eventId);
    }
    const rows = await this.repo.findAvailability(eventId);
    const now = new Date();
    return {
      eventId,
      asOf: now.toISOString(),
      ticketTypes: rows.map((r) => toAvailability(r, event.status === 'published', now)),
    };
  }

  /** Recount held/sold from the holds; the ticket types whose counters drift (empty = reconciled). */
  recount(ticketTypeIds?: string[]): Promise<CounterDrift[]> {
    return this.repo.recountCounters(ticketTypeIds);
  }

  /** Fix drifting counters; returns what was changed. */
  async repair(ticketTypeIds?: string[]): Promise<CounterDrift[]> {
    const drift = await this.repo.recountCounters(ticketTypeIds);
    if (drift.length === 0) return [];
    return this.repo.repairCounters(drift.map((d) => d.ticketTypeId));
  }
}

function toAvailability(r: AvailabilityRow, published: boolean, now: Date): TicketTypeAvailability {
  const remaining = Math.max(0, r.remaining);
  let status: TicketTypeAvailability['status'] = 'on_sale';
  if (!published || (r.sales_end && r.sales_end <= now)) status = 'ended';
  else if (r.sales_start && r.sales_start > now) status = 'not_started';
  else if (remaining === 0) status = 'sold_out';
  return { ticketTypeId: r.id, name: r.name, price: r.price, currency: r.currency, capacity: r.capacity, remaining, status };
}
