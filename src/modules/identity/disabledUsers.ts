/**
 * Which accounts are disabled (or deleted), as the auth hook needs to know on every request.
 *
 * One small query (the partial index users_disabled_idx holds exactly these rows) refreshes an
 * in-process set at most every `ttlMs`, shared by all concurrent requests (single flight). A
 * disable in this process takes effect at once; in other processes within `ttlMs` (default 1 s).
 * When the refresh fails (database down), the last known set is kept and the next request retries.
 */
export class DisabledUsers {
  private ids = new Set<string>();
  private loadedAt = Number.NEGATIVE_INFINITY;
  private loading: Promise<void> | undefined;
  /** Local changes, re-applied over a load that started before them (it may not include them). */
  private readonly recent = new Map<string, { disabled: boolean; at: number }>();

  constructor(
    private readonly load: () => Promise<string[]>,
    private readonly ttlMs: number,
  ) {}

  async has(userId: string): Promise<boolean> {
    if (performance.now() - this.loadedAt >= this.ttlMs) {
      try {
        await this.refresh();
      } catch {
        // keep the previous set; retried by the next request
      }
    }
    return this.ids.has(userId);
  }

  /** Effective at once in this process (other processes within the TTL). */
  add(userId: string): void {
    this.ids.add(userId);
    this.recent.set(userId, { disabled: true, at: performance.now() });
  }

  remove(userId: string): void {
    this.ids.delete(userId);
    this.recent.set(userId, { disabled: false, at: performance.now() });
  }

  private refresh(): Promise<void> {
    this.loading ??= (async () => {
      const started = performance.now();
      try {
        const ids = new Set(await this.load());
        for (const [id, change] of this.recent) {
          if (change.at < started) this.recent.delete(id);
          else if (change.disabled) ids.add(id);
          else ids.delete(id);
        }
        this.ids = ids;
        this.loadedAt = started;
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }
}
