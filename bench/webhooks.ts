/**
 * Webhook benchmark: `npm run bench:webhooks [-- --quick] [--connections K] [--payments N] [--duplicates 0.2]`
 *
 * Starts the server (`serve`, no in-process worker) and a separate `worker` process on a fresh
 * database, creates N pending bookings with a pending card payment each (in SQL), then fires
 * Stripe-signed `payment_intent.succeeded` events for them at POST /api/v1/webhooks/stripe from K
 * keep-alive connections — a share of them redelivered (the same signed bytes again), shuffled.
 * Measures the webhook responses, waits until the inbox drains (no event left `received`), checks
 * in SQL that processed == unique events, every payment applied once and every booking confirmed
 * once, and that the ledger balances. Prints ONE JSON line.
 *
 * Uses DATABASE_URL if set (a fresh database is created on that server and dropped after), else
 * an embedded PostgreSQL in a temporary folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import pino from 'pino';
import Stripe from 'stripe';
import { Pool, request } from 'undici';
import { startEmbedded, type EmbeddedServer } from '../src/platform/db/embedded.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    connections: { type: 'string' },
    payments: { type: 'string' },
    duplicates: { type: 'string' },
    'worker-concurrency': { type: 'string' },
    // Start the worker only once every event is answered (measures the endpoint alone).
    'worker-after': { type: 'boolean', default: false },
  },
});
const quick = args.quick!;
const connections = Number(args.connections ?? 200);
const unique = Number(args.payments ?? (quick ? 3_000 : 20_000));
const duplicateShare = Number(args.duplicates ?? 0.2);
const workerConcurrency = Number(args['worker-concurrency'] ?? 8);
const workerAfter = args['worker-after']!;
const root = path.resolve(import.meta.dirname, '..');
const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
const WEBHOOK_SECRET = `whsec_bench_${crypto.randomBytes(8).toString('hex')}`;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function spawnRole(role: 'serve' | 'worker', env: Record<string, string>): { child: ChildProcess; stderr: () => string; exited: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', role], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => (err = (err + d).slice(-4000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return { child, stderr: () => err, exited };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

async function seed(db: pg.Client, n: number): Promise<{ paymentId: string; intentId: string; amount: number }[]> {
  const slug = `bench-webhooks-${crypto.randomBytes(4).toString('hex')}`;
  const { rows } = await db.query<{ ticket_type_id: string; event_id: string }>(
    `with o as (insert into organizers (name, slug) values ($1, $1) returning id),
          v as (insert into venues (organizer_id, name, city, country, timezone, capacity)
                select id, 'Amahoro Stadium', 'Kigali', 'RW', 'Africa/Kigali', 45000 from o returning id, organizer_id),
          e as (insert into events (organizer_id, venue_id, name, starts_at, ends_at, timezone, status, published_at)
                select organizer_id, id, 'Webhook bench', now() + interval '30 days', now() + interval '30 days 3 hours', 'Africa/Kigali', 'published', now()
                from v returning id),
          t as (insert into ticket_types (event_id, name, price, currency, capacity, held, max_per_order)
                select id, 'Regular', 5000, 'RWF', $2, $2, 10 from e returning id, event_id)
     select id as ticket_type_id, event_id from t`,
    [slug, n],
  );
  const { ticket_type_id: tt, event_id: ev } = rows[0]!;
  const { rows: pays } = await db.query<{ payment_id: string; intent_id: string; amount: number }>(
    `with b as (
       insert into bookings (event_id, buyer_name, buyer_email, buyer_phone, total, currency, expires_at)
       select $1, 'Bench Buyer', 'bench-' || g || '@example.test', '+250788123456', 5000, 'RWF', now() + interval '2 hours'
       from generate_series(1, $3) g returning id
     ),
     h as (insert into holds (booking_id, ticket_type_id, quantity, unit_price) select id, $2, 1, 5000 from b),
     p as (
       insert into payments (booking_id, method, provider, provider_ref, amount, currency)
       select id, 'card', 'stripe', 'pi_bench_' || replace(id::text, '-', ''), 5000, 'RWF' from b
       returning id, provider_ref, amount
     )
     select id as payment_id, provider_ref as intent_id, amount from p`,
    [ev, tt, n],
  );
  return pays.map((p) => ({ paymentId: p.payment_id, intentId: p.intent_id, amount: Number(p.amount) }));
}

async function main() {
  let embedded: EmbeddedServer | undefined;
  let adminUrl = process.env.DATABASE_URL;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tikiti-bench-webhooks-'));
  if (!adminUrl) {
    log('no DATABASE_URL: starting an embedded PostgreSQL');
    embedded = await startEmbedded(tmp, await freePort(), pino({ level: 'warn' }));
    adminUrl = embedded.url;
  }
  const dbName = `tikiti_bench_${crypto.randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  const databaseUrl = url.toString();

  const port = await freePort();
  const env = {
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_MAX: '40',
    HOST: '127.0.0.1',
    PORT: String(port),
    WORKER_IN_PROCESS: 'false',
    RATE_LIMIT_ENABLED: 'false',
    SEED_DEMO: 'false',
    LOG_LEVEL: 'warn',
    LOG_PRETTY: 'false',
    TIKITI_DATA_DIR: tmp,
    JWT_SECRET: crypto.randomBytes(32).toString('hex'),
    STRIPE_SECRET_KEY: 'sk_test_bench',
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    // Never called: signed events are the truth; nothing polls seeded payments.
    STRIPE_API_BASE: 'http://127.0.0.1:9',
  };
  const server = spawnRole('serve', env);
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (server.child.exitCode !== null) throw new Error(`server exited:\n${server.stderr()}`);
    try {
      const res = await request(`${base}/health/ready`);
      await res.body.text();
      if (res.statusCode === 200) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`server not ready:\n${server.stderr()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  let worker: ReturnType<typeof spawnRole> | undefined;
  try {
    log(`seeding ${unique} pending bookings with a pending card payment each`);
    const payments = await seed(db, unique);

    // Events: one per payment, plus redeliveries of a share of them (the same signed bytes).
    const stripe = new Stripe('sk_test_bench');
    const events = payments.map((p) => {
      const payload = JSON.stringify({
        id: `evt_${crypto.randomBytes(12).toString('hex')}`,
        object: 'event',
        type: 'payment_intent.succeeded',
        api_version: '2024-06-20',
        created: Math.floor(Date.now() / 1000),
        data: { object: { id: p.intentId, object: 'payment_intent', amount: p.amount, currency: 'rwf', status: 'succeeded', last_payment_error: null, metadata: { paymentId: p.paymentId } } },
      });
      return { payload, signature: stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET }) };
    });
    const duplicatesSent = Math.round(unique * duplicateShare);
    const all = [...events, ...Array.from({ length: duplicatesSent }, () => events[crypto.randomInt(0, events.length)]!)];
    for (let i = all.length - 1; i > 0; i--) {
      const j = crypto.randomInt(0, i + 1);
      [all[i], all[j]] = [all[j]!, all[i]!];
    }

    // Warm up connections and the route (not measured).
    const pool = new Pool(base, { connections, pipelining: 1 });
    await Promise.all(Array.from({ length: connections }, async () => (await pool.request({ method: 'GET', path: '/health/live' })).body.text()));

    // The HTTP ceiling of this server on this machine: a trivial route, same connections, 3 s.
    let noopCount = 0;
    const noopStart = performance.now();
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (performance.now() - noopStart < 3000) {
          const res = await pool.request({ method: 'GET', path: '/health/live' });
          await res.body.text();
          noopCount++;
        }
      }),
    );
    const noopPerS = noopCount / ((performance.now() - noopStart) / 1000);

    log(`firing ${all.length} signed events (${duplicatesSent} redeliveries) from ${connections} connections`);
    const startWorkerProcess = () => spawnRole('worker', { ...env, WORKER_CONCURRENCY: String(workerConcurrency) });
    if (!workerAfter) worker = startWorkerProcess();
    const latencies: number[] = [];
    let accepted = 0;
    let duplicatesAnswered = 0;
    let errors = 0;
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: connections }, async () => {
        for (;;) {
          const i = next++;
          if (i >= all.length) return;
          const e = all[i]!;
          const t0 = performance.now();
          try {
            const res = await pool.request({
              method: 'POST',
              path: '/api/v1/webhooks/stripe',
              headers: { 'content-type': 'application/json', 'stripe-signature': e.signature },
              body: e.payload,
            });
            const body = (await res.body.json()) as { duplicate?: boolean };
            latencies.push(performance.now() - t0);
            if (res.statusCode === 200) {
              accepted++;
              if (body.duplicate) duplicatesAnswered++;
            } else errors++;
          } catch {
            errors++;
          }
        }
      }),
    );
    const fireMs = performance.now() - started;
    await pool.close();
    latencies.sort((a, b) => a - b);

    if (workerAfter) worker = startWorkerProcess();
    log('waiting for the inbox to drain');
    const drainStart = performance.now();
    const drainDeadline = Date.now() + (quick ? 60_000 : 600_000);
    for (;;) {
      const { rows } = await db.query<{ n: number }>(`select count(*)::int as n from webhook_events where status = 'received'`);
      if (rows[0]!.n === 0) break;
      if (Date.now() > drainDeadline) throw new Error(`inbox did not drain: ${rows[0]!.n} events left\nworker: ${worker?.stderr()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const drainMs = performance.now() - drainStart;

    const { rows: [c] } = await db.query<{
      events: number; processed: number; payments_applied: number; bookings_confirmed: number; applied_twice: number; sold: number; held: number; ledger_unbalanced: number;
    }>(`select
          (select count(*) from webhook_events)::int as events,
          (select count(*) from webhook_events where status = 'processed')::int as processed,
          (select count(*) from payments where status = 'succeeded' and outcome = 'applied')::int as payments_applied,
          (select count(*) from bookings where status = 'confirmed')::int as bookings_confirmed,
          (select count(*) from (select booking_id from payments where outcome = 'applied' group by 1 having count(*) > 1) x)::int as applied_twice,
          (select sum(sold) from ticket_types)::int as sold,
          (select sum(held) from ticket_types)::int as held,
          (select count(*) from (select currency from ledger_entries group by 1 having sum(debit) <> sum(credit)) x)::int as ledger_unbalanced`);
    const result = {
      bench: 'webhooks',
      mode: quick ? 'quick' : 'full',
      connections,
      events: all.length,
      unique,
      duplicates_sent: duplicatesSent,
      accepted,
      errors,
      accepted_per_s: round(accepted / (fireMs / 1000), 0),
      http_ceiling_per_s: round(noopPerS, 0),
      p50_ms: round(percentile(latencies, 50), 2),
      p90_ms: round(percentile(latencies, 90), 2),
      p99_ms: round(percentile(latencies, 99), 2),
      max_ms: round(latencies.at(-1) ?? 0, 2),
      processed: c!.processed,
      duplicates_ignored: duplicatesAnswered,
      processed_equals_unique: c!.processed === unique && c!.events === unique,
      drain_s: round(drainMs / 1000, 2),
      processed_per_s: round(c!.processed / ((fireMs + drainMs) / 1000), 0),
      payments_applied: c!.payments_applied,
      bookings_confirmed: c!.bookings_confirmed,
      applied_twice: c!.applied_twice,
      sold: c!.sold,
      held: c!.held,
      ledger_balanced: c!.ledger_unbalanced === 0,
      worker_concurrency: workerConcurrency,
      worker_during_fire: !workerAfter,
      p99_under_50ms: percentile(latencies, 99) < 50,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await db.end();
    for (const p of [worker, server]) {
      if (p && p.child.exitCode === null) p.child.kill('SIGTERM');
      await p?.exited;
    }
    await admin.query(`drop database if exists ${dbName} with (force)`).catch(() => {});
    await admin.end();
    await embedded?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
