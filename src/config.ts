import path from 'node:path';
import Type, { type Static } from 'typebox';
import Value from 'typebox/value';

/**
 * Every environment variable Tikiti reads. Validated once at boot; a bad value fails start-up
 * with the full list of problems. Documented in README.md ("Configuration").
 */
const EnvSchema = Type.Object({
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], {
    default: 'development',
  }),
  HOST: Type.String({ default: '0.0.0.0', minLength: 1 }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  LOG_PRETTY: Type.Optional(Type.Boolean()),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  DATABASE_POOL_MAX: Type.Integer({ minimum: 1, maximum: 1000, default: 20 }),
  // A read replica for the public catalogue (GET /events, GET /events/{id}); never for availability decisions or bookings.
  DATABASE_REPLICA_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  // How stale (ms) a process's set of disabled accounts may be: their access tokens stop working within this.
  AUTH_DISABLED_CACHE_MS: Type.Integer({ minimum: 0, maximum: 60_000, default: 1000 }),
  TIKITI_DATA_DIR: Type.String({ default: '.tikiti', minLength: 1 }),
  EMBEDDED_PG_PORT: Type.Integer({ minimum: 1, maximum: 65535, default: 54329 }),
  JWT_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  ACCESS_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 30, default: 900 }),
  REFRESH_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 60, default: 7 * 24 * 3600 }),
  LOGIN_MAX_FAILURES: Type.Integer({ minimum: 1, default: 5 }),
  LOGIN_FAILURE_WINDOW_SECONDS: Type.Integer({ minimum: 1, default: 900 }),
  // Per IP the limit is higher than per account: mobile carriers put many buyers behind one address.
  LOGIN_MAX_FAILURES_PER_IP: Type.Integer({ minimum: 1, default: 100 }),
  CORS_ORIGINS: Type.String({ default: '' }),
  BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, default: 1_048_576 }),
  // Trust X-Forwarded-For from a load balancer (true, a hop count, or comma-separated proxy addresses/CIDRs).
  TRUST_PROXY: Type.String({ default: 'false' }),
  SEED_DEMO: Type.Optional(Type.Boolean()),
  ALLOCATOR_BATCHING: Type.Boolean({ default: true }),
  ALLOCATOR_MAX_BATCH: Type.Integer({ minimum: 1, maximum: 5000, default: 256 }),
  ALLOCATOR_MAX_WAIT_MS: Type.Number({ minimum: 0, maximum: 1000, default: 2 }),
  WORKER_IN_PROCESS: Type.Boolean({ default: true }),
  WORKER_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 100, default: 4 }),
  EXPIRY_SWEEP_SECONDS: Type.Integer({ minimum: 1, default: 30 }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  // Observability (docs/observability.md). /metrics: bearer METRICS_TOKEN, or loopback only when unset.
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 16 })),
  // Rate limits per tier: max requests per window (seconds) per client; RATE_LIMIT_ENABLED=false turns them off.
  RATE_LIMIT_ENABLED: Type.Boolean({ default: true }),
  RATE_LIMIT_GENERAL_MAX: Type.Integer({ minimum: 1, default: 1000 }),
  RATE_LIMIT_GENERAL_WINDOW_SECONDS: Type.Integer({ minimum: 1, default: 900 }),
  RATE_LIMIT_AUTH_MAX: Type.Integer({ minimum: 1, default: 10 }),
  RATE_LIMIT_AUTH_WINDOW_SECONDS: Type.Integer({ minimum: 1, default: 900 }),
  RATE_LIMIT_PAYMENTS_MAX: Type.Integer({ minimum: 1, default: 20 }),
  RATE_LIMIT_PAYMENTS_WINDOW_SECONDS: Type.Integer({ minimum: 1, default: 900 }),
  RATE_LIMIT_BOOKINGS_MAX: Type.Integer({ minimum: 1, default: 10 }),
  RATE_LIMIT_BOOKINGS_WINDOW_SECONDS: Type.Integer({ minimum: 1, default: 300 }),
  // Prefix of the rate-limit counters in Redis (distinct per deployment sharing one Redis).
  RATE_LIMIT_REDIS_PREFIX: Type.String({ default: 'tikiti:rl:', minLength: 1, maxLength: 100 }),
  // Payments: providers per method in order of preference (comma-separated provider names).
  PAYMENT_PROVIDERS_MOMO: Type.String({ default: 'momo', minLength: 1 }),
  PAYMENT_PROVIDERS_CARD: Type.String({ default: 'stripe', minLength: 1 }),
  PAYMENT_PROVIDER_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 120_000, default: 10_000 }),
  PAYMENT_BREAKER_ERROR_PERCENT: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
  PAYMENT_BREAKER_VOLUME: Type.Integer({ minimum: 1, default: 5 }),
  PAYMENT_BREAKER_RESET_MS: Type.Integer({ minimum: 100, default: 30_000 }),
  // Payment flow: a pending payment is polled (initial delay doubling up to the max) until final or this timeout → failed 'timeout'.
  PAYMENT_PENDING_TIMEOUT_SECONDS: Type.Integer({ minimum: 1, default: 900 }),
  PAYMENT_POLL_INITIAL_SECONDS: Type.Number({ minimum: 0.05, maximum: 3600, default: 2 }),
  PAYMENT_POLL_MAX_SECONDS: Type.Number({ minimum: 0.05, maximum: 3600, default: 60 }),
  // Fraud scores (0-100): above BLOCK → 403 payment_blocked; from REVIEW → allowed and flagged for an admin.
  FRAUD_BLOCK_SCORE: Type.Integer({ minimum: 0, maximum: 100, default: 80 }),
  FRAUD_REVIEW_SCORE: Type.Integer({ minimum: 0, maximum: 100, default: 50 }),
  // MTN MoMo Collections (+ Disbursements for refunds). Without MOMO_BASE_URL: the built-in sandbox.
  MOMO_BASE_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  MOMO_API_USER: Type.Optional(Type.String({ minLength: 1 })),
  MOMO_API_KEY: Type.Optional(Type.String({ minLength: 1 })),
  MOMO_SUBSCRIPTION_KEY: Type.Optional(Type.String({ minLength: 1 })),
  MOMO_DISBURSEMENT_API_USER: Type.Optional(Type.String({ minLength: 1 })),
  MOMO_DISBURSEMENT_API_KEY: Type.Optional(Type.String({ minLength: 1 })),
  MOMO_DISBURSEMENT_SUBSCRIPTION_KEY: Type.Optional(Type.String({ minLength: 1 })),
  MOMO_TARGET_ENVIRONMENT: Type.String({ default: 'sandbox', minLength: 1 }),
  MOMO_CALLBACK_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  MOMO_CURRENCIES: Type.String({ default: 'RWF,UGX,GHS,ZMW,XAF,XOF,EUR', pattern: '^[A-Z]{3}(,[A-Z]{3})*$' }),
  // The MoMo simulator served by this process (default on, except NODE_ENV=production).
  SANDBOX_ENABLED: Type.Optional(Type.Boolean()),
  SANDBOX_PREFIX: Type.String({ default: '/sandbox/momo', pattern: '^/[A-Za-z0-9/_-]*[A-Za-z0-9_-]$' }),
  SANDBOX_CONFIRM_DELAY_MS: Type.Integer({ minimum: 0, maximum: 3_600_000, default: 1500 }),
  SANDBOX_SLOW_CONFIRM_DELAY_MS: Type.Integer({ minimum: 0, maximum: 3_600_000, default: 60_000 }),
  // Stripe (card payments): enabled when STRIPE_SECRET_KEY is set.
  STRIPE_SECRET_KEY: Type.Optional(Type.String({ minLength: 1 })),
  STRIPE_PUBLISHABLE_KEY: Type.Optional(Type.String({ minLength: 1 })),
  STRIPE_WEBHOOK_SECRET: Type.Optional(Type.String({ minLength: 1 })),
  STRIPE_API_BASE: Type.Optional(Type.String({ pattern: '^https?://' })),
  // Refunds: provider calls per refund before it is marked failed; status polls (first delay, doubling, how many);
  // bookings per batch of the cancelled-event refund job.
  REFUND_MAX_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 50, default: 8 }),
  REFUND_POLL_DELAY_MS: Type.Integer({ minimum: 10, maximum: 3_600_000, default: 5000 }),
  REFUND_POLL_MAX: Type.Integer({ minimum: 1, maximum: 1000, default: 30 }),
  REFUND_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 10_000, default: 100 }),
  // Tickets: the secret sealing each event's Ed25519 private key at rest (default: derived from the JWT secret).
  TICKET_KEY_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  // Check-in window: a ticket is admitted from this long before the event starts until this long after it ends.
  CHECKIN_OPENS_MINUTES_BEFORE: Type.Integer({ minimum: 0, maximum: 7 * 24 * 60, default: 360 }),
  CHECKIN_CLOSES_MINUTES_AFTER: Type.Integer({ minimum: 0, maximum: 7 * 24 * 60, default: 360 }),
  // Email (tickets): SMTP_URL (smtp[s]://user:pass@host:port) or SMTP_HOST/PORT/USER/PASS; with none, .eml files in <data>/mail.
  SMTP_URL: Type.Optional(Type.String({ pattern: '^smtps?://' })),
  SMTP_HOST: Type.Optional(Type.String({ minLength: 1 })),
  SMTP_PORT: Type.Integer({ minimum: 1, maximum: 65535, default: 587 }),
  SMTP_SECURE: Type.Boolean({ default: false }),
  SMTP_USER: Type.Optional(Type.String({ minLength: 1 })),
  SMTP_PASS: Type.Optional(Type.String({ minLength: 1 })),
  MAIL_FROM: Type.String({ default: 'Tikiti <tickets@tikiti.local>', minLength: 3 }),
  TICKET_EMAIL_MAX_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
});

type Env = Static<typeof EnvSchema>;

function allowed(schema: unknown): string {
  const variants = (schema as { anyOf?: { const?: unknown }[] }).anyOf ?? [];
  return variants.map((v) => String(v.const)).join(', ');
}

export interface Config extends Env {
  /** Absolute path of the data folder (embedded PostgreSQL, generated secrets). */
  dataDir: string;
  /** True when no DATABASE_URL is set and Tikiti runs its own embedded PostgreSQL. */
  embedded: boolean;
  corsOrigins: string[];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parse and validate an environment; throws ConfigError listing every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Readonly<Config> {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(EnvSchema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const converted = Value.Default(EnvSchema, Value.Convert(EnvSchema, raw)) as Record<string, unknown>;
  // Checked one variable at a time so every bad variable is reported, once.
  const problems: string[] = [];
  for (const [key, schema] of Object.entries(EnvSchema.properties)) {
    const value = converted[key];
    if (value === undefined) continue;
    const first = [...Value.Errors(schema, value)][0];
    if (first) problems.push(`${key}: ${first.keyword === 'const' || first.keyword === 'anyOf' ? `must be one of ${allowed(schema)}` : first.message} (got ${JSON.stringify(raw[key])})`);
  }
  const parsed = converted as unknown as Env;
  if (parsed.NODE_ENV === 'production' && !parsed.JWT_SECRET) {
    problems.push('JWT_SECRET: required when NODE_ENV=production (at least 32 characters)');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const config: Config = {
    ...parsed,
    dataDir: path.resolve(parsed.TIKITI_DATA_DIR),
    embedded: !parsed.DATABASE_URL,
    corsOrigins: parsed.CORS_ORIGINS.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    ...overrides,
  };
  return Object.freeze(config);
}
