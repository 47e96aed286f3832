import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { Redis } from 'ioredis';
import type { Config } from '../../config.js';
import type { AppContext } from '../../context.js';
import { errors } from '../errors.js';
import { createRedis, RateLimitCounters } from './rateLimitStore.js';

/**
 * Tiered rate limits (docs/observability.md). Each request falls in at most one tier:
 *
 *   auth      POST /api/v1/auth/login, POST /api/v1/auth/register      per IP
 *   payments  any non-GET route under /api/v1/bookings/:id/payments     per buyer (user id, else IP)
 *   bookings  POST /api/v1/bookings                                     per buyer (user id, else IP)
 *   general   everything else                                          per client (user id, else IP)
 *   (none)    /health/*, /metrics, /api/v1/webhooks/*, the MoMo sandbox
 *
 * A route picks its tier explicitly with `config: { rateLimitTier: 'payments' }` (or 'none'),
 * which wins over the URL patterns above. Counters live in Redis when REDIS_URL is set (shared by
 * every process) and in memory otherwise; see RateLimitCounters for the Redis-outage fallback.
 * A refused request gets 429 problem+json `rate_limited` with Retry-After.
 */
export type RateLimitTier = 'general' | 'auth' | 'payments' | 'bookings';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Rate-limit tier of this route; 'none' exempts it. Default: chosen by URL (see rateLimit.ts). */
    rateLimitTier?: RateLimitTier | 'none';
  }
  interface FastifyInstance {
    /** Redis client (REDIS_URL), or null when not configured. */
    redis: Redis | null;
    /** Where rate-limit counters are kept right now. */
    rateLimitStore(): 'redis' | 'memory' | 'disabled';
  }
}

const AUTH_ROUTES = new Set(['/api/v1/auth/login', '/api/v1/auth/register']);

/** The tier of a request, or null when it is exempt. */
export function tierOf(request: FastifyRequest, config: Config): RateLimitTier | null {
  const explicit = request.routeOptions.config?.rateLimitTier;
  if (explicit) return explicit === 'none' ? null : explicit;
  const route = request.routeOptions.url;
  const path = route ?? request.url.split('?')[0] ?? '/';
  if (path === '/metrics' || path.startsWith('/health/') || path.startsWith('/api/v1/webhooks/')) return null;
  if (path === config.SANDBOX_PREFIX || path.startsWith(`${config.SANDBOX_PREFIX}/`)) return null;
  const method = request.method;
  if (route && method === 'POST' && AUTH_ROUTES.has(route)) return 'auth';
  if (route?.startsWith('/api/v1/bookings/:id/payments') && method !== 'GET' && method !== 'HEAD') return 'payments';
  if (route === '/api/v1/bookings' && method === 'POST') return 'bookings';
  return 'general';
}

function tierLimits(config: Config): Record<RateLimitTier, { max: number; windowMs: number }> {
  return {
    general: { max: config.RATE_LIMIT_GENERAL_MAX, windowMs: config.RATE_LIMIT_GENERAL_WINDOW_SECONDS * 1000 },
    auth: { max: config.RATE_LIMIT_AUTH_MAX, windowMs: config.RATE_LIMIT_AUTH_WINDOW_SECONDS * 1000 },
    payments: { max: config.RATE_LIMIT_PAYMENTS_MAX, windowMs: config.RATE_LIMIT_PAYMENTS_WINDOW_SECONDS * 1000 },
    bookings: { max: config.RATE_LIMIT_BOOKINGS_MAX, windowMs: config.RATE_LIMIT_BOOKINGS_WINDOW_SECONDS * 1000 },
  };
}

function clientKey(tier: RateLimitTier, request: FastifyRequest): string {
  if (tier !== 'auth' && request.actor) return `u:${request.actor.userId}`;
  return `ip:${request.ip}`;
}

type Callback = (err: Error | null, res?: { current: number; ttl: number }) => void;

/** A @fastify/rate-limit store over RateLimitCounters, one child per tier (the tier is in the key). */
function storeClass(counters: RateLimitCounters) {
  return class TieredStore {
    private readonly tier: string;
    constructor(params: { tier?: string }) {
      this.tier = params.tier ?? 'global';
    }
    incr(key: string, cb: Callback, timeWindow: number) {
      counters.incr(`${this.tier}:${key}`, timeWindow).then(
        (hit) => cb(null, hit),
        (e: unknown) => cb(e instanceof Error ? e : new Error(String(e))),
      );
    }
    child(params: { tier?: string }) {
      return new TieredStore(params);
    }
  };
}

type Limiter = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** Register after registerAuth (the per-buyer tiers key on request.actor). */
export async function registerRateLimits(app: FastifyInstance, ctx: AppContext) {
  const { config, metrics } = ctx;
  const redis = config.REDIS_URL ? createRedis(config.REDIS_URL) : null;
  app.decorate('redis', redis);
  if (redis) app.addHook('onClose', async () => void redis.disconnect());

  if (!config.RATE_LIMIT_ENABLED) {
    app.decorate('rateLimitStore', () => 'disabled' as const);
    return;
  }
  const counters = new RateLimitCounters(redis, config.RATE_LIMIT_REDIS_PREFIX, metrics, ctx.log.child({ component: 'rate-limit' }));
  app.decorate('rateLimitStore', () => counters.store);

  await app.register(rateLimit, {
    global: false,
    store: storeClass(counters) as never,
    addHeadersOnExceeding: { 'x-ratelimit-limit': true, 'x-ratelimit-remaining': true, 'x-ratelimit-reset': true },
  });
  const limiters = {} as Record<RateLimitTier, Limiter>;
  for (const [tier, { max, windowMs }] of Object.entries(tierLimits(config)) as [RateLimitTier, { max: number; windowMs: number }][]) {
    limiters[tier] = app.rateLimit({
      max,
      timeWindow: windowMs,
      keyGenerator: (request) => clientKey(tier, request),
      errorResponseBuilder: (_request, context) => {
        metrics.rateLimited.inc({ tier });
        return errors.rateLimited(Math.max(1, Math.ceil(context.ttl / 1000)));
      },
      // Read by TieredStore.child: counters of different tiers never mix.
      ...({ tier } as object),
    }) as Limiter;
  }

  app.addHook('onRequest', async (request, reply) => {
    const tier = tierOf(request, config);
    if (tier) await limiters[tier](request, reply);
  });
}
