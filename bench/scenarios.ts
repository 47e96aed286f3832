/**
 * Load scenarios over the real buyer journey:
 *   `npm run bench:scenarios -- --scenario normal|peak|stress|spike|all [--quick] [--processes N] [--no-build]`
 *
 * Builds and starts the production server (`node dist/main.js serve --processes N`, the built-in
 * MoMo sandbox on, a short SANDBOX_CONFIRM_DELAY_MS, the job worker polling payments, rate limits
 * off), creates a small catalogue, then runs virtual buyers, each looping the journey:
 *
 *   browse    GET  /api/v1/events?limit=20
 *   event     GET  /api/v1/events/{id}
 *   book      POST /api/v1/bookings                  (guest, Idempotency-Key)
 *   pay       POST /api/v1/bookings/{id}/payments    (method momo, a sandbox number that succeeds)
 *   confirm   GET  /api/v1/payments/{id}             (polled until succeeded or failed)
 *   tickets   GET  /api/v1/bookings/{id}/tickets     (until the tickets are issued)
 *
 * Scenarios (virtual buyers over time; --quick shortens them):
 *   normal  a steady trickle: 10 buyers
 *   peak    a busy on-sale: 60 buyers
 *   stress  ramp from 10 to 300 buyers: where does latency bend?
 *   spike   10 buyers, then 300 at once for a fifth of the run, then 10 again
 *
 * Prints ONE JSON line per scenario: journeys and requests per second, latency percentiles and
 * error rate per step, payment outcomes. A step whose route does not exist (404 route_not_found,
 * e.g. an older build) is reported as skipped, and the journey continues without it.
 */
import crypto from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Pool } from 'undici';
import { build, log, startServer, type Server } from './lib/server.js';
import { createBenchDatabase, makeTicketType } from './lib/database.js';
import { latencySummary, round } from './lib/stats.js';

const SCENARIOS = ['normal', 'peak', 'stress', 'spike'] as const;
type Scenario = (typeof SCENARIOS)[number];
const STEPS = ['browse', 'event', 'book', 'pay', 'confirm', 'tickets'] as const;
type Step = (typeof STEPS)[number];

const { values: args } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'normal' },
    quick: { type: 'boolean', default: false },
    processes: { type: 'string', default: '1' },
    seconds: { type: 'string' },
    build: { type: 'boolean', default: true },
    'no-build': { type: 'boolean', default: false },
  },
});
const quick = args.quick!;
const processes = Number(args.processes);
const chosen: Scenario[] =
  args.scenario === 'all' ? [...SCENARIOS] : SCENARIOS.includes(args.scenario as Scenario) ? [args.scenario as Scenario] : [];
if (chosen.length === 0 || !Number.isInteger(processes) || processes < 1) {
  process.stderr.write(`usage: npm run bench:scenarios -- --scenario ${SCENARIOS.join('|')}|all [--quick] [--processes N] [--seconds S] [--no-build]\n`);
  process.exit(2);
}
const seconds = Number(args.seconds ?? (quick ? 10 : 40));

/** Virtual buyers wanted at `t` (0…1 of the run). */
function buyersAt(scenario: Scenario, t: number): number {
  switch (scenario) {
    case 'normal':
      return 10;
    case 'peak':
      return 60;
    case 'stress':
      return Math.round(10 + 290 * t);
    case 'spike':
      return t >= 0.4 && t < 0.6 ? 300 : 10;
  }
}
const maxBuyers = (s: Scenario) => Math.max(...Array.from({ length: 101 }, (_, i) => buyersAt(s, i / 100)));

interface StepStats {
  latencies: number[];
  errors: number;
  errorCodes: Record<string, number>;
  skipped: boolean;
}

class Recorder {
  readonly steps = Object.fromEntries(
    STEPS.map((s): [Step, StepStats] => [s, { latencies: [], errors: 0, errorCodes: {}, skipped: false }]),
  ) as Record<Step, StepStats>;
  journeysStarted = 0;
  journeysCompleted = 0;
  payments = { succeeded: 0, failed: 0, timed_out: 0 };
  soldOut = 0;

  ok(step: Step, ms: number) {
    this.steps[step].latencies.push(ms);
  }

  error(step: Step, ms: number, code: string) {
    const s = this.steps[step];
    s.latencies.push(ms);
    s.errors++;
    s.errorCodes[code] = (s.errorCodes[code] ?? 0) + 1;
  }
}

interface Catalogue {
  events: { eventId: string; ticketTypeId: string }[];
}

async function call(
  pool: Pool,
  method: 'GET' | 'POST',
  path: string,
  o: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; json: Record<string, unknown>; ms: number }> {
  const t0 = performance.now();
  const res = await pool.request({
    method,
    path,
    headers: { ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}), ...o.headers },
    body: o.body !== undefined ? JSON.stringify(o.body) : undefined,
  });
  const text = await res.body.text();
  const ms = performance.now() - t0;
  let json: Record<string, unknown> = {};
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    json = { code: 'not_json' };
  }
  return { status: res.statusCode, json, ms };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

/** A payer number the sandbox approves (MoMo test numbers ending 450–455 fail or hang). */
function payerPhone(): string {
  for (;;) {
    const n = `25078${String(crypto.randomInt(1_000_000, 9_999_999))}`; // an MTN Rwanda mobile number
    if (!/45[0-5]$/.test(n)) return n;
  }
}

/**
 * One buyer's journey. Returns false when a step failed (the journey ends there). A step whose
 * route is missing (404 route_not_found) is marked skipped and the journey goes on.
 */
async function journey(pool: Pool, cat: Catalogue, rec: Recorder, deadline: number): Promise<void> {
  rec.journeysStarted++;
  const missing = (step: Step, r: { status: number; json: Record<string, unknown> }) => {
    if (r.status === 404 && r.json.code === 'route_not_found') {
      rec.steps[step].skipped = true;
      return true;
    }
    return false;
  };

  const browse = await call(pool, 'GET', '/api/v1/events?limit=20');
  if (browse.status !== 200) return rec.error('browse', browse.ms, String(browse.json.code ?? browse.status));
  rec.ok('browse', browse.ms);

  const target = pick(cat.events);
  const page = await call(pool, 'GET', `/api/v1/events/${target.eventId}`);
  if (page.status !== 200) return rec.error('event', page.ms, String(page.json.code ?? page.status));
  rec.ok('event', page.ms);

  const phone = payerPhone();
  const book = await call(pool, 'POST', '/api/v1/bookings', {
    headers: { 'idempotency-key': crypto.randomUUID() },
    body: {
      eventId: target.eventId,
      items: [{ ticketTypeId: target.ticketTypeId, quantity: 1 + crypto.randomInt(2) }],
      buyer: { name: 'Bench Buyer', email: `buyer-${crypto.randomUUID()}@bench.test`, phone: `+${phone}` },
    },
  });
  if (book.status !== 201) {
    if (book.json.code === 'sold_out') rec.soldOut++;
    return rec.error('book', book.ms, String(book.json.code ?? book.status));
  }
  rec.ok('book', book.ms);
  const bookingId = book.json.id as string;
  const token = (book.json.bookingAccessToken as string | undefined) ?? '';
  const guest: Record<string, string> = token ? { 'x-booking-token': token } : {};

  const pay = await call(pool, 'POST', `/api/v1/bookings/${bookingId}/payments`, {
    headers: { ...guest, 'idempotency-key': crypto.randomUUID() },
    body: { method: 'momo', phone: `+${phone}` },
  });
  if (missing('pay', pay)) {
    rec.journeysCompleted++;
    return;
  }
  if (pay.status !== 201) return rec.error('pay', pay.ms, String(pay.json.code ?? pay.status));
  rec.ok('pay', pay.ms);
  const paymentId = pay.json.id as string;

  // Poll the payment like a checkout page does.
  let status = String(pay.json.status);
  const confirmStarted = performance.now();
  while (status === 'pending') {
    // Journeys started before the end get 30 s more to finish; what is still pending then timed out.
    if (Date.now() > deadline + 30_000) {
      rec.payments.timed_out++;
      return rec.error('confirm', performance.now() - confirmStarted, 'timed_out');
    }
    await sleep(150);
    const poll = await call(pool, 'GET', `/api/v1/payments/${paymentId}`, { headers: guest });
    if (poll.status !== 200) return rec.error('confirm', performance.now() - confirmStarted, String(poll.json.code ?? poll.status));
    status = String(poll.json.status);
  }
  if (status !== 'succeeded') {
    rec.payments.failed++;
    return rec.error('confirm', performance.now() - confirmStarted, `payment_${status}`);
  }
  rec.payments.succeeded++;
  rec.ok('confirm', performance.now() - confirmStarted);

  // Tickets are issued when the payment is applied; fetch until they are there.
  const ticketsStarted = performance.now();
  for (;;) {
    const tickets = await call(pool, 'GET', `/api/v1/bookings/${bookingId}/tickets`, { headers: guest });
    if (missing('tickets', tickets)) break;
    const items = (tickets.json.tickets ?? tickets.json.items) as unknown[] | undefined;
    if (tickets.status === 200 && Array.isArray(items) && items.length > 0) {
      rec.ok('tickets', performance.now() - ticketsStarted);
      break;
    }
    if (tickets.status !== 200 && tickets.status !== 409) {
      return rec.error('tickets', performance.now() - ticketsStarted, String(tickets.json.code ?? tickets.status));
    }
    if (Date.now() > deadline + 30_000) return rec.error('tickets', performance.now() - ticketsStarted, 'not_issued_in_time');
    await sleep(150);
  }
  rec.journeysCompleted++;
}

async function runScenario(server: Server, cat: Catalogue, scenario: Scenario) {
  const rec = new Recorder();
  const pool = new Pool(server.url, { connections: maxBuyers(scenario) + 10, pipelining: 1 });
  const started = Date.now();
  const deadline = started + seconds * 1000;
  const running = new Set<Promise<void>>();
  // Each virtual buyer loops journeys while the profile wants at least as many buyers as its rank.
  const buyer = async (rank: number) => {
    while (Date.now() < deadline && rank < buyersAt(scenario, (Date.now() - started) / (seconds * 1000))) {
      try {
        await journey(pool, cat, rec, deadline);
      } catch (e) {
        rec.error('browse', 0, `network_${(e as { code?: string }).code ?? 'error'}`);
        await sleep(50);
      }
    }
  };
  const ranksRunning = new Set<number>();
  while (Date.now() < deadline) {
    const want = buyersAt(scenario, (Date.now() - started) / (seconds * 1000));
    for (let rank = 0; rank < want; rank++) {
      if (ranksRunning.has(rank)) continue;
      ranksRunning.add(rank);
      const p = buyer(rank).finally(() => {
        ranksRunning.delete(rank);
        running.delete(p);
      });
      running.add(p);
    }
    await sleep(100);
  }
  await Promise.all(running);
  await pool.close();
  const elapsed = (Date.now() - started) / 1000;

  const steps: Record<string, unknown> = {};
  let requests = 0;
  let errors = 0;
  for (const step of STEPS) {
    const s = rec.steps[step];
    requests += s.latencies.length;
    errors += s.errors;
    steps[step] = s.skipped && s.latencies.length === 0
      ? { skipped: true, reason: 'route_not_found' }
      : {
          count: s.latencies.length,
          per_s: round(s.latencies.length / elapsed),
          errors: s.errors,
          error_rate: s.latencies.length ? round(s.errors / s.latencies.length, 4) : 0,
          ...(s.errors ? { error_codes: s.errorCodes } : {}),
          ...latencySummary(s.latencies),
        };
  }
  return {
    bench: 'scenarios',
    scenario,
    quick,
    processes,
    load_seconds: seconds,
    // wall time until the last journey ended (journeys started near the end finish after the load)
    seconds: round(elapsed, 1),
    max_buyers: maxBuyers(scenario),
    journeys_started: rec.journeysStarted,
    journeys_completed: rec.journeysCompleted,
    journeys_per_s: round(rec.journeysCompleted / elapsed, 2),
    requests_timed: requests,
    error_rate: requests ? round(errors / requests, 4) : 0,
    payments: rec.payments,
    sold_out: rec.soldOut,
    skipped_steps: STEPS.filter((s) => rec.steps[s].skipped),
    steps,
    max_rss_mb: server.peakRssMb(),
  };
}

async function main() {
  if (args.build && !args['no-build']) build();
  const benchDb = await createBenchDatabase();
  const db = new pg.Client({ connectionString: benchDb.url });
  let server: Server | undefined;
  try {
    server = await startServer(
      benchDb.url,
      {
        // The journey pays through the built-in MoMo sandbox; the job worker polls pending payments.
        SANDBOX_ENABLED: 'true',
        SANDBOX_CONFIRM_DELAY_MS: '300',
        WORKER_IN_PROCESS: 'true',
        PAYMENT_POLL_INITIAL_SECONDS: '0.3',
        PAYMENT_POLL_MAX_SECONDS: '1',
        // Fraud velocity rules would flag one load generator paying thousands of times.
        FRAUD_REVIEW_SCORE: '100',
        FRAUD_BLOCK_SCORE: '100',
        DATABASE_POOL_MAX: '30',
        // Webhook processing and payment polling run as jobs: the confirmation step waits on them.
        WORKER_CONCURRENCY: process.env.WORKER_CONCURRENCY ?? '16',
      },
      { args: processes > 1 ? ['--processes', String(processes)] : [] },
    );
    await db.connect();
    const cat: Catalogue = { events: [] };
    for (let i = 0; i < 8; i++) cat.events.push(await makeTicketType(db, 10_000_000, { eventName: `Scenario event ${i + 1}`, price: 2000 + 500 * i }));
    log(`server up (${processes} process(es)), ${cat.events.length} events; ${seconds} s per scenario`);
    for (const scenario of chosen) {
      log(`scenario ${scenario}…`);
      const result = await runScenario(server, cat, scenario);
      process.stdout.write(JSON.stringify(result) + '\n');
    }
  } finally {
    await server?.stop().catch(() => {});
    await db.end().catch(() => {});
    await benchDb.drop();
  }
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
