import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Metrics } from '../observability/metrics.js';

export interface Hit {
  current: number;
  /** Milliseconds until the window resets. */
  ttl: number;
}

/** Fixed-window counters in this process (the store without Redis, and the fallback with it). */
export class MemoryCounters {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(private readonly maxKeys = 100_000) {}

  incr(key: string, windowMs: number): Hit {
    const now = Date.now();
    let w = this.windows.get(key);
    if (!w || w.resetAt <= now) {
      if (w) this.windows.delete(key);
      if (this.windows.size >= this.maxKeys) this.evict(now);
      w = { count: 0, resetAt: now + windowMs };
      this.windows.set(key, w);
    }
    w.count += 1;
    return { current: w.count, ttl: w.resetAt - now };
  }

  private evict(now: number) {
    for (const [k, w] of this.windows) if (w.resetAt <= now) this.windows.delete(k);
    // Still full: drop the oldest windows (a Map iterates in insertion order).
    let excess = this.windows.size - Math.floor(this.maxKeys * 0.9);
    for (const k of this.windows.keys()) {
      if (excess-- <= 0) break;
      this.windows.delete(k);
    }
  }
}

// INCR the window's counter, starting its expiry on the first hit; returns {count, ttl ms}.
const INCR_LUA = `
local current = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if current == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {current, ttl}
`;

type RedisWithLimit = Redis & {
  tikitiRateLimit(key: string, windowMs: number, cb: (err: Error | null | undefined, res?: [number, number]) => void): void;
};

/** Connect to REDIS_URL for shared counters: commands fail fast while it is away (no offline queue). */
export function createRedis(url: string): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 500,
    connectTimeout: 2000,
    // Keep trying to come back, at most every 2 s.
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  redis.defineCommand('tikitiRateLimit', { numberOfKeys: 1, lua: INCR_LUA });
  // Connection errors are reported by RateLimitCounters (once per outage); never crash on them.
  redis.on('error', () => {});
  return redis;
}

/**
 * Rate-limit counters shared through Redis when it is there, and in this process's memory while
 * it is not: a Redis outage never stops the API (it fails open to per-process limits), is
 * logged once when it starts and once when it ends, and every request counted in memory meanwhile
 * increments `tikiti_rate_limit_redis_fallbacks_total`.
 */
export class RateLimitCounters {
  readonly memory = new MemoryCounters();
  private state: 'unknown' | 'up' | 'down' = 'unknown';

  constructor(
    private readonly redis: Redis | null,
    private readonly prefix: string,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {
    if (!redis) return;
    metrics.rateLimitRedisUp.set(0);
    redis.on('ready', () => this.markUp());
    redis.on('error', (err: Error) => this.markDown(err.message));
    redis.on('close', () => this.markDown('connection closed'));
    if (redis.status === 'ready') this.markUp();
  }

  /** 'redis' while counters are shared, 'memory' otherwise. */
  get store(): 'redis' | 'memory' {
    return this.redis && this.state === 'up' ? 'redis' : 'memory';
  }

  async incr(key: string, windowMs: number): Promise<Hit> {
    if (!this.redis) return this.memory.incr(key, windowMs);
    if (this.state === 'up' && this.redis.status === 'ready') {
      try {
        return await new Promise<Hit>((resolve, reject) => {
          (this.redis as RedisWithLimit).tikitiRateLimit(this.prefix + key, windowMs, (err, res) => {
            if (err || !res) reject(err ?? new Error('empty reply'));
            else resolve({ current: Number(res[0]), ttl: Math.max(0, Number(res[1])) });
          });
        });
      } catch (e) {
        this.log.warn({ err: (e as Error).message }, 'rate limit: Redis command failed; counting in memory');
      }
    }
    this.metrics.rateLimitFallbacks.inc();
    return this.memory.incr(key, windowMs);
  }

  private markUp() {
    if (this.state === 'up') return;
    this.state = 'up';
    this.metrics.rateLimitRedisUp.set(1);
    this.log.info('rate limit: Redis is up; limits are shared across processes');
  }

  private markDown(reason: string) {
    if (this.state === 'down') return;
    this.state = 'down';
    this.metrics.rateLimitRedisUp.set(0);
    this.log.warn({ reason }, 'rate limit: Redis is unavailable; falling back to in-memory limits until it returns');
  }
}
