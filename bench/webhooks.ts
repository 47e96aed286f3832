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
import crypto from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import Stripe from 'stripe';
import { Pool } from 'undici';
import { createBenchDatabase, makeTicketType } from './lib/database.js';
import { drive, httpCeiling, shuffle } from './lib/load.js';
import { log, startServer, startWorker, type Server } from './lib/server.js';
import { latencySummary, percentile, round } from './lib/stats.js';

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
const WEBHOOK_SECRET = `whsec_bench_${crypto.randomBytes(8).toString('hex')}`;

async function seed(db: pg.Client, n: number): Promise<{ paymentId: string; intentId: string; amount: number }[]> {
  // Every ticket held by one of the pending bookings below.
  const { eventId: ev, ticketTypeId: tt } = await makeTicketType(db, n, { eventName: 'Webhook bench', held: n });
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
  const benchDb = await createBenchDatabase();
  const db = new pg.Client({ connectionString: benchDb.url });
  let server: Server | undefined;
  let worker: ReturnType<typeof startWorker> | undefined;
  try {
    server = await startServer(
      benchDb.url,
      {
        DATABASE_POOL_MAX: '40',
        STRIPE_SECRET_KEY: 'sk_test_bench',
        STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
        // Never called: signed events are the truth; nothing polls seeded payments.
        STRIPE_API_BASE: 'http://127.0.0.1:9',
      },
      { source: true },
    );
    await db.connect();
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
    const all = shuffle([...events, ...Array.from({ length: duplicatesSent }, () => events[crypto.randomInt(0, events.length)]!)]);

    // Warm up connections and the route (not measured).
    const pool = new Pool(server.url, { connections, pipelining: 1 });
    await Promise.all(Array.from({ length: connections }, async () => (await pool.request({ method: 'GET', path: '/health/live' })).body.text()));

    // The HTTP ceiling of this server on this machine: a trivial route, same connections, 3 s.
    const noopPerS = await httpCeiling(pool, connections, 3);

    log(`firing ${all.length} signed events (${duplicatesSent} redeliveries) from ${connections} connections`);
    const startWorkerProcess = () => startWorker(server!, { WORKER_CONCURRENCY: String(workerConcurrency) }, { source: true });
    if (!workerAfter) worker = startWorkerProcess();
    const latencies: number[] = [];
    let accepted = 0;
    let duplicatesAnswered = 0;
    let errors = 0;
    const { elapsedMs: fireMs } = await drive(
      pool,
      connections,
      async (pool, i) => {
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
      },
      { count: all.length },
    );
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
      ...latencySummary(latencies, [50, 90, 99]),
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
    await db.end().catch(() => {});
    // The worker first: it shares the server's data folder.
    await worker?.stop();
    await server?.stop();
    await benchDb.drop();
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
