import type { Logger } from 'pino';
import type { BatchOutcome, HoldRequest, InventoryRepository } from './inventory.repository.js';

export type AllocationResult =
  | { ok: true; bookingId: string; total: number; currency: string; expiresAt: Date; createdAt: Date }
  | { ok: false; reason: 'sold_out'; remaining: number }
  | { ok: false; reason: 'sales_closed' }
  | { ok: false; reason: 'event_unavailable'; eventStatus: string | null };

interface Waiting {
  request: HoldRequest;
  attempts: number;
  resolve: (r: AllocationResult) => void;
  reject: (e: unknown) => void;
}

export interface AllocatorOptions {
  maxBatch: number;
  maxWaitMs: number;
}

/** Give up on a request the guard keeps refusing (heavy multi-process contention) after this many rounds. */
const MAX_ATTEMPTS = 50;

/**
 * The per-ticket-type allocator: requests for one ticket type that arrive while a batch is in
 * flight (or within maxWaitMs of the first) are coalesced into ONE statement — one guarded
 * UPDATE of the counter, one multi-row INSERT of bookings and holds, one commit — then each
 * request is answered. A batch fills what still fits in arrival order and refuses only the rest.
 *
 * One batch per ticket type is in flight per process; several processes may run allocators on the
 * same database: the guarded UPDATE (and the CHECK behind it) decides, and a batch whose read went
 * stale is retried.
 */
export class Allocator {
  private readonly queues = new Map<string, { waiting: Waiting[]; busy: boolean; timer: NodeJS.Timeout | NodeJS.Immediate | null }>();
  /** Counters for the benchmark and metrics. */
  readonly stats = { batches: 0, requests: 0, retries: 0 };

  constructor(
    private readonly repo: InventoryRepository,
    private readonly opts: AllocatorOptions,
    private readonly log?: Logger,
  ) {}

  allocate(ticketTypeId: string, request: HoldRequest): Promise<AllocationResult> {
    return new Promise((resolve, reject) => {
      let q = this.queues.get(ticketTypeId);
      if (!q) {
        q = { waiting: [], busy: false, timer: null };
        this.queues.set(ticketTypeId, q);
      }
      q.waiting.push({ request, attempts: 0, resolve, reject });
      this.schedule(ticketTypeId);
    });
  }

  private schedule(ticketTypeId: string) {
    const q = this.queues.get(ticketTypeId);
    if (!q || q.busy || q.waiting.length === 0) return;
    if (q.waiting.length >= this.opts.maxBatch) return void this.flush(ticketTypeId);
    if (q.timer) return;
    const fire = () => {
      q.timer = null;
      void this.flush(ticketTypeId);
    };
    q.timer = this.opts.maxWaitMs > 0 ? setTimeout(fire, this.opts.maxWaitMs) : setImmediate(fire);
  }

  private async flush(ticketTypeId: string) {
    const q = this.queues.get(ticketTypeId);
    if (!q || q.busy) return;
    if (q.timer) {
      clearTimeout(q.timer as NodeJS.Timeout);
      clearImmediate(q.timer as NodeJS.Immediate);
      q.timer = null;
    }
    const batch = q.waiting.splice(0, this.opts.maxBatch);
    if (batch.length === 0) return;
    q.busy = true;
    let requeue: Waiting[] = [];
    try {
      this.stats.batches++;
      this.stats.requests += batch.length;
      const outcome = await this.repo.allocateBatch(
        ticketTypeId,
        batch.map((w) => w.request),
      );
      requeue = this.settle(batch, outcome);
    } catch (err) {
      for (const w of batch) w.reject(err);
    } finally {
      q.busy = false;
      // Requeued requests keep their place at the front (arrival order).
      if (requeue.length) q.waiting.unshift(...requeue);
      if (q.waiting.length > 0) void this.flush(ticketTypeId);
      else if (!q.timer) this.queues.delete(ticketTypeId);
    }
  }

  /** Answer what the batch decided; return the requests that deserve another round. */
  private settle(batch: Waiting[], o: BatchOutcome): Waiting[] {
    if (o.eventStatus === null) {
      for (const w of batch) w.resolve({ ok: false, reason: 'event_unavailable', eventStatus: null });
      return [];
    }
    if (o.eventStatus !== 'published') {
      for (const w of batch) w.resolve({ ok: false, reason: 'event_unavailable', eventStatus: o.eventStatus });
      return [];
    }
    if (!o.onSale) {
      for (const w of batch) w.resolve({ ok: false, reason: 'sales_closed' });
      return [];
    }
    const retry: Waiting[] = [];
    if (o.picked > 0 && o.remainingAfter === null) {
      // Another process took inventory after our read: the guard refused the whole batch. Go again.
      this.stats.retries++;
      for (const w of batch) {
        if (++w.attempts >= MAX_ATTEMPTS) w.resolve({ ok: false, reason: 'sold_out', remaining: Math.max(0, o.remainingBefore ?? 0) });
        else retry.push(w);
      }
      return retry;
    }
    const remaining = o.remainingAfter ?? o.remainingBefore ?? 0;
    for (const w of batch) {
      const booked = o.booked.get(w.request.bookingId);
      if (booked) {
        w.resolve({ ok: true, bookingId: w.request.bookingId, currency: o.currency!, ...booked });
      } else if (w.request.quantity <= remaining && ++w.attempts < MAX_ATTEMPTS) {
        // A later, smaller request that still fits what the prefix left over: next round.
        retry.push(w);
      } else {
        w.resolve({ ok: false, reason: 'sold_out', remaining: Math.max(0, remaining) });
      }
    }
    if (retry.length) this.log?.trace({ n: retry.length }, 'allocator: requeued requests that still fit');
    return retry;
  }
}
