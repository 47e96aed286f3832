import { Gauge } from 'prom-client';
import type { Db } from '../db/database.js';
import { dbInternals, ping } from '../db/database.js';
import type { Metrics } from './metrics.js';
import type { HealthHooks } from './healthHooks.js';
import { findJobBacklog } from './observability.repository.js';

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

const SCRAPE_QUERY_TIMEOUT_MS = 2000;

/**
 * Wire a context's metrics to its database and hooks: query durations by name (from Kysely),
 * pool usage, database reachability, job backlog by task and providers' breaker states — the
 * gauges are read at scrape time.
 */
export function instrumentContext(metrics: Metrics, o: { db: Db; health: HealthHooks }): void {
  const registers = [metrics.registry];
  const internals = dbInternals(o.db);
  internals?.queries.subscribe((query, seconds, failed) => {
    metrics.dbQueryDuration.observe({ query, outcome: failed ? 'error' : 'ok' }, seconds);
  });

  if (internals) {
    const pool = internals.pool;
    new Gauge({
      name: 'db_pool_connections',
      help: 'PostgreSQL pool connections: total (open), idle, waiting (requests queued for a connection), max (pool size).',
      labelNames: ['state'],
      registers,
      collect() {
        this.set({ state: 'total' }, pool.totalCount);
        this.set({ state: 'idle' }, pool.idleCount);
        this.set({ state: 'waiting' }, pool.waitingCount);
        this.set({ state: 'max' }, pool.options.max ?? 10);
      },
    });
  }

  new Gauge({
    name: 'tikiti_database_up',
    help: '1 when a `select 1` succeeds within 2 s at scrape time, else 0.',
    registers,
    async collect() {
      try {
        await withTimeout(ping(o.db), SCRAPE_QUERY_TIMEOUT_MS);
        this.set(1);
      } catch {
        this.set(0);
      }
    },
  });

  const jobs = new Gauge({
    name: 'tikiti_jobs',
    help: 'Background jobs in the queue by task and state (ready: due and waiting, scheduled, running, failed: out of attempts).',
    labelNames: ['task', 'state'],
    registers,
    async collect() {
      await refreshJobs();
    },
  });
  const oldest = new Gauge({
    name: 'tikiti_job_oldest_ready_seconds',
    help: 'Age of the oldest due job still waiting for a worker, by task.',
    labelNames: ['task'],
    registers,
    async collect() {
      await refreshJobs();
    },
  });
  // One query per scrape feeds both job gauges (both collects await the same fetch).
  let inflight: Promise<void> | undefined;
  function refreshJobs(): Promise<void> {
    inflight ??= fetchJobs().finally(() => {
      inflight = undefined;
    });
    return inflight;
  }
  async function fetchJobs() {
    let backlog;
    try {
      backlog = await withTimeout(findJobBacklog(o.db), SCRAPE_QUERY_TIMEOUT_MS);
    } catch {
      return; // database down: tikiti_database_up says so
    }
    jobs.reset();
    oldest.reset();
    for (const t of backlog ?? []) {
      jobs.set({ task: t.task, state: 'ready' }, t.ready);
      jobs.set({ task: t.task, state: 'scheduled' }, t.scheduled);
      jobs.set({ task: t.task, state: 'running' }, t.running);
      jobs.set({ task: t.task, state: 'failed' }, t.failed);
      oldest.set({ task: t.task }, t.oldestReadySeconds);
    }
  }

  new Gauge({
    name: 'tikiti_payment_provider_breaker_state',
    help: "Payment providers' circuit breakers: 1 for the current state (closed, open, half_open), 0 for the others.",
    labelNames: ['provider', 'state'],
    registers,
    async collect() {
      this.reset();
      for (const p of await o.health.providerStates()) {
        for (const s of ['closed', 'open', 'half_open'] as const) this.set({ provider: p.name, state: s }, p.state === s ? 1 : 0);
      }
    },
  });
}
