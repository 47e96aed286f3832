/**
 * Group commit for the request path: items enqueued while a batch is in flight (or within
 * `maxWaitMs` of the first one) are handed to `run` together, so N concurrent requests cost one
 * round trip and one commit instead of N. A lone item waits at most `maxWaitMs`.
 *
 * `run` returns one result per item, in order; if it throws, every item of that batch rejects.
 */
export interface CoalescerOptions {
  maxBatch: number;
  /** How long the first item of a batch may wait for company when nothing is in flight. */
  maxWaitMs: number;
  /** Batches allowed in flight at once. */
  maxInFlight?: number;
}

interface Pending<I, O> {
  item: I;
  resolve: (o: O) => void;
  reject: (e: unknown) => void;
}

export class Coalescer<I, O> {
  private queue: Pending<I, O>[] = [];
  private inFlight = 0;
  private timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  private readonly maxInFlight: number;

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly opts: CoalescerOptions,
  ) {
    this.maxInFlight = opts.maxInFlight ?? 1;
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  get idle(): boolean {
    return this.queue.length === 0 && this.inFlight === 0;
  }

  private schedule() {
    if (this.inFlight >= this.maxInFlight) return; // flushed when the running batch ends
    if (this.queue.length >= this.opts.maxBatch) {
      this.flush();
      return;
    }
    if (this.timer) return;
    const fire = () => {
      this.timer = null;
      this.flush();
    };
    this.timer = this.opts.maxWaitMs > 0 ? setTimeout(fire, this.opts.maxWaitMs) : setImmediate(fire);
  }

  private flush() {
    if (this.timer) {
      clearTimeout(this.timer as NodeJS.Timeout);
      clearImmediate(this.timer as NodeJS.Immediate);
      this.timer = null;
    }
    while (this.queue.length > 0 && this.inFlight < this.maxInFlight) {
      const batch = this.queue.splice(0, this.opts.maxBatch);
      this.inFlight++;
      this.run(batch.map((p) => p.item))
        .then(
          (results) => batch.forEach((p, i) => p.resolve(results[i] as O)),
          (err) => batch.forEach((p) => p.reject(err)),
        )
        .finally(() => {
          this.inFlight--;
          // Whatever queued up meanwhile has already waited a whole batch: go at once.
          if (this.queue.length > 0) this.flush();
        });
    }
  }
}
