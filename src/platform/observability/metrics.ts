import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Tikiti's Prometheus metrics: one Registry per AppContext (tests build many apps in one
 * process, so nothing here is registered on prom-client's global registry), plus the process
 * metrics (CPU, memory, event loop, GC), collected once per process and appended at scrape time.
 *
 * Other modules increment the business counters through the context:
 *   ctx.metrics.bookingsCreated.inc()
 *   ctx.metrics.paymentsTotal.inc({ provider: 'momo', outcome: 'succeeded' })
 *   ctx.metrics.allocatorBatchSize.observe(batch.length)
 * Label values must come from a small fixed set (never ids, phone numbers or URLs).
 */

/** Outcome of a payment attempt as seen by Tikiti. */
export type PaymentOutcome = 'succeeded' | 'failed' | 'pending' | 'timeout' | 'error';
export type WebhookResult = 'accepted' | 'duplicate' | 'bad_signature' | 'rejected';
export type FraudDecision = 'allow' | 'review' | 'block';
export type RefundOutcome = 'succeeded' | 'failed' | 'pending';
export type CheckinResult = 'admitted' | 'already_redeemed' | 'invalid' | 'wrong_event' | 'revoked' | 'conflict';

export interface Metrics {
  registry: Registry;
  // HTTP
  httpRequestDuration: Histogram<'method' | 'route' | 'status_code'>;
  // Database
  dbQueryDuration: Histogram<'query' | 'outcome'>;
  // Jobs
  jobDuration: Histogram<'task' | 'outcome'>;
  // Rate limits
  rateLimited: Counter<'tier'>;
  rateLimitFallbacks: Counter;
  rateLimitRedisUp: Gauge;
  // Business
  bookingsCreated: Counter;
  bookingsConfirmed: Counter;
  bookingsExpired: Counter;
  bookingsCancelled: Counter;
  soldOutRefusals: Counter;
  allocatorBatchSize: Histogram;
  paymentsTotal: Counter<'provider' | 'outcome'>;
  webhooksReceived: Counter<'provider' | 'result'>;
  fraudDecisions: Counter<'decision'>;
  refundsTotal: Counter<'provider' | 'outcome'>;
  checkinsTotal: Counter<'result'>;
}

let processRegistry: Registry | undefined;

/** CPU, memory, event loop lag, GC, handles: collected once per process, shared by every app. */
export function processMetricsRegistry(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    httpRequestDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by route template, method and status code.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    dbQueryDuration: new Histogram({
      name: 'db_query_duration_seconds',
      help: 'Database query duration by query name (a /* name */ comment in the SQL, else "<verb> <table>").',
      labelNames: ['query', 'outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    jobDuration: new Histogram({
      name: 'tikiti_job_duration_seconds',
      help: 'Background job run time by task and outcome (success, error).',
      labelNames: ['task', 'outcome'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60],
      registers,
    }),
    rateLimited: new Counter({
      name: 'tikiti_rate_limited_total',
      help: 'Requests refused with 429, by rate-limit tier.',
      labelNames: ['tier'],
      registers,
    }),
    rateLimitFallbacks: new Counter({
      name: 'tikiti_rate_limit_redis_fallbacks_total',
      help: 'Requests whose rate limit was counted in memory because Redis (REDIS_URL) was unavailable.',
      registers,
    }),
    rateLimitRedisUp: new Gauge({
      name: 'tikiti_rate_limit_redis_up',
      help: '1 while rate limits are shared through Redis, 0 while they fall back to memory (absent without REDIS_URL).',
      registers,
    }),
    bookingsCreated: new Counter({ name: 'tikiti_bookings_created_total', help: 'Bookings created (tickets held).', registers }),
    bookingsConfirmed: new Counter({ name: 'tikiti_bookings_confirmed_total', help: 'Bookings confirmed (paid, tickets issued).', registers }),
    bookingsExpired: new Counter({ name: 'tikiti_bookings_expired_total', help: 'Bookings whose hold expired unpaid.', registers }),
    bookingsCancelled: new Counter({ name: 'tikiti_bookings_cancelled_total', help: 'Bookings cancelled.', registers }),
    soldOutRefusals: new Counter({ name: 'tikiti_sold_out_refusals_total', help: 'Hold requests refused because the ticket type (or seat) was sold out.', registers }),
    allocatorBatchSize: new Histogram({
      name: 'tikiti_allocator_batch_size',
      help: 'Hold requests coalesced into one allocator transaction.',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
      registers,
    }),
    paymentsTotal: new Counter({
      name: 'tikiti_payments_total',
      help: 'Payment attempts by provider and outcome (succeeded, failed, pending, timeout, error).',
      labelNames: ['provider', 'outcome'],
      registers,
    }),
    webhooksReceived: new Counter({
      name: 'tikiti_webhooks_received_total',
      help: 'Provider webhooks received by provider and result (accepted, duplicate, bad_signature, rejected).',
      labelNames: ['provider', 'result'],
      registers,
    }),
    fraudDecisions: new Counter({
      name: 'tikiti_fraud_decisions_total',
      help: 'Fraud checks by decision (allow, review, block).',
      labelNames: ['decision'],
      registers,
    }),
    refundsTotal: new Counter({
      name: 'tikiti_refunds_total',
      help: 'Refunds by provider and outcome.',
      labelNames: ['provider', 'outcome'],
      registers,
    }),
    checkinsTotal: new Counter({
      name: 'tikiti_checkins_total',
      help: 'Ticket scans at the gate by result (admitted, already_redeemed, invalid, …).',
      labelNames: ['result'],
      registers,
    }),
  };
}

/** The text a Prometheus scrape receives: process metrics, then this app's metrics. */
export async function renderMetrics(metrics: Metrics): Promise<{ contentType: string; body: string }> {
  const proc = processMetricsRegistry();
  const [a, b] = await Promise.all([proc.metrics(), metrics.registry.metrics()]);
  return { contentType: metrics.registry.contentType, body: `${a.trimEnd()}\n${b}` };
}
