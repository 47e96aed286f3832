import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { ping } from '../../../platform/db/database.js';
import { pendingMigrations } from '../../../platform/db/migrate.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { json, Nullable, problems } from '../../../platform/http/schemas.js';
import { errors } from '../../../platform/errors.js';
import { findJobBacklog } from '../../../platform/observability/observability.repository.js';

const CHECK_TIMEOUT_MS = 2000;

const Detailed = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')], {
    description: 'degraded when the database is down, migrations are pending, Redis is down or a provider breaker is open',
  }),
  database: Type.Object({
    up: Type.Boolean(),
    latencyMs: Nullable(Type.Number()),
    error: Type.Optional(Type.String()),
  }),
  migrations: Type.Object({ pending: Nullable(Type.Array(Type.String(), { description: 'null when the database is unreachable' })) }),
  jobs: Nullable(
    Type.Object({
      ready: Type.Integer({ description: 'due and waiting for a worker' }),
      scheduled: Type.Integer(),
      running: Type.Integer(),
      failed: Type.Integer({ description: 'out of attempts' }),
      oldestReadySeconds: Type.Number(),
      byTask: Type.Array(
        Type.Object({
          task: Type.String(),
          ready: Type.Integer(),
          scheduled: Type.Integer(),
          running: Type.Integer(),
          failed: Type.Integer(),
          oldestReadySeconds: Type.Number(),
        }),
      ),
    }, { description: 'null when the job tables are not installed or the database is down' }),
  ),
  redis: Type.Object({
    status: Type.Union([Type.Literal('up'), Type.Literal('down'), Type.Literal('not_configured')]),
    latencyMs: Nullable(Type.Number()),
  }),
  rateLimits: Type.Object({ store: Type.Union([Type.Literal('redis'), Type.Literal('memory'), Type.Literal('disabled')]) }),
  providers: Type.Array(
    Type.Object({
      name: Type.String(),
      state: Type.Union([Type.Literal('closed'), Type.Literal('open'), Type.Literal('half_open')]),
      details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
  ),
});

function timeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
    }),
  ]);
}

const round = (ms: number) => Math.round(ms * 100) / 100;

export function getDetailed(app: FastifyInstance) {
  app.get('/health/detailed', {
    schema: {
      summary: 'Operator view of dependencies: database, migrations, job backlog, Redis, payment providers (admins)',
      tags: ['health'],
      operationId: 'getHealthDetailed',
      security: bearer,
      response: { 200: json(Detailed), ...problems(401, 403) },
    },
    handler: async (request) => {
      const actor = requireActor(request);
      if (!actor.isAdmin) throw errors.forbidden('Only platform admins can read detailed health.');
      const { db } = app.ctx;

      const database: { up: boolean; latencyMs: number | null; error?: string } = { up: false, latencyMs: null };
      try {
        database.latencyMs = round(await timeout(ping(db), 'the database'));
        database.up = true;
      } catch (e) {
        database.error = (e as Error).message;
      }

      let pending: string[] | null = null;
      let jobs: ReturnType<typeof summarize> | null = null;
      if (database.up) {
        const [p, backlog] = await Promise.allSettled([
          timeout(pendingMigrations(db), 'the migrations check'),
          timeout(findJobBacklog(db), 'the job backlog query'),
        ]);
        if (p.status === 'fulfilled') pending = p.value;
        if (backlog.status === 'fulfilled' && backlog.value) jobs = summarize(backlog.value);
      }

      let redis: { status: 'up' | 'down' | 'not_configured'; latencyMs: number | null } = { status: 'not_configured', latencyMs: null };
      if (app.redis) {
        const started = performance.now();
        try {
          await timeout(app.redis.ping(), 'Redis');
          redis = { status: 'up', latencyMs: round(performance.now() - started) };
        } catch {
          redis = { status: 'down', latencyMs: null };
        }
      }

      const providers = await app.ctx.health.providerStates();
      const degraded =
        !database.up || pending === null || pending.length > 0 || redis.status === 'down' || providers.some((p) => p.state === 'open');
      return {
        status: degraded ? ('degraded' as const) : ('ok' as const),
        database,
        migrations: { pending },
        jobs,
        redis,
        rateLimits: { store: app.rateLimitStore() },
        providers,
      };
    },
  });
}

function summarize(byTask: NonNullable<Awaited<ReturnType<typeof findJobBacklog>>>) {
  const sum = (k: 'ready' | 'scheduled' | 'running' | 'failed') => byTask.reduce((n, t) => n + t[k], 0);
  return {
    ready: sum('ready'),
    scheduled: sum('scheduled'),
    running: sum('running'),
    failed: sum('failed'),
    oldestReadySeconds: byTask.reduce((m, t) => Math.max(m, t.oldestReadySeconds), 0),
    byTask,
  };
}
