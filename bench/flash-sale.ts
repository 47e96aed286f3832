/**
 * Flash-sale benchmark: `npm run bench:flash-sale [-- --quick] [--processes N] [--capacity C]
 *   [--connections K] [--no-naive] [--no-build]`
 *
 * Builds and starts the production server (node dist/main.js serve, N processes on one
 * database), creates an event with one ticket type, and drives booking requests over real HTTP
 * (K keep-alive connections, quantity 1–4, a unique Idempotency-Key each) until it is sold out;
 * recounts in SQL; measures a trivial route of the same servers (the HTTP ceiling) and the same
 * sale with batching switched off. Prints ONE JSON line.
 *
 * Uses DATABASE_URL if set (a fresh database is created on that server and dropped after), else
 * an embedded PostgreSQL in a temporary folder.
 */
import crypto from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Pool } from 'undici';
import { build, log, startServers as startServerProcesses, type Server } from './lib/server.js';
import { createBenchDatabase, makeTicketType } from './lib/database.js';
import { drive, httpCeiling } from './lib/load.js';
import { percentile, round } from './lib/stats.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    processes: { type: 'string' },
    capacity: { type: 'string' },
    connections: { type: 'string' },
    naive: { type: 'boolean', default: true },
    'no-naive': { type: 'boolean', default: false },
    build: { type: 'boolean', default: true },
    'no-build': { type: 'boolean', default: false },
    'noop-seconds': { type: 'string' },
  },
});
const quick = args.quick!;
const processes = Number(args.processes ?? 1);
const capacity = Number(args.capacity ?? (quick ? 5_000 : 50_000));
const connections = Number(args.connections ?? 200);
const runNaive = args.naive! && !args['no-naive'];
const noopSeconds = Number(args['noop-seconds'] ?? (quick ? 3 : 8));

function startServers(databaseUrl: string, env: Record<string, string>): Promise<Server[]> {
  return startServerProcesses(databaseUrl, env, processes);
}

/** K keep-alive connections spread over the N servers (K/N to each), closed once `fn` is done. */
async function withPools<T>(servers: Server[], fn: (pools: Pool[]) => Promise<T>): Promise<T> {
  const pools = servers.map((s) => new Pool(s.url, { connections: Math.ceil(connections / servers.length), pipelining: 1 }));
  try {
    return await fn(pools);
  } finally {
    await Promise.all(pools.map((p) => p.close()));
  }
}

function noop(servers: Server[]): Promise<number> {
  return withPools(servers, (pools) => httpCeiling(pools, connections, noopSeconds));
}

interface SaleResult {
  bookings: number;
  tickets: number;
  requests: number;
  errors: number;
  elapsedMs: number;
  latencies: number[];
}

async function sale(servers: Server[], eventId: string, ticketTypeId: string): Promise<SaleResult> {
  const r: SaleResult = { bookings: 0, tickets: 0, requests: 0, errors: 0, elapsedMs: 0, latencies: [] };
  const maxSeconds = quick ? 60 : 600;
  const { elapsedMs } = await withPools(servers, (pools) =>
    drive(pools, connections, async (pool, i) => {
      const quantity = 1 + (i % 4);
      const body = JSON.stringify({
        eventId,
        items: [{ ticketTypeId, quantity }],
        buyer: { name: 'Bench Buyer', email: `b${i}@bench.test`, phone: '+250788123456' },
      });
      const t0 = performance.now();
      r.requests++;
      try {
        const res = await pool.request({
          method: 'POST',
          path: '/api/v1/bookings',
          headers: { 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() },
          body,
        });
        const json = (await res.body.json()) as { code?: string; remaining?: { remaining: number }[] };
        r.latencies.push(performance.now() - t0);
        if (res.statusCode === 201) {
          r.bookings++;
          r.tickets += quantity;
          return true;
        }
        if (res.statusCode === 409 && json.code === 'sold_out') return (json.remaining?.[0]?.remaining ?? 0) > 0;
        r.errors++;
        return r.errors < 1000;
      } catch {
        r.errors++;
        return r.errors < 1000;
      }
    }, { seconds: maxSeconds }),
  );
  r.elapsedMs = elapsedMs;
  return r;
}

async function recount(db: pg.Client, ticketTypeId: string) {
  const { rows } = await db.query<{ capacity: number; held: number; sold: number; recount: number }>(
    `select t.capacity, t.held, t.sold,
            coalesce((select sum(h.quantity) from holds h join bookings b on b.id = h.booking_id
                      where h.ticket_type_id = t.id and b.status in ('pending', 'confirmed')), 0)::int as recount
     from ticket_types t where t.id = $1`,
    [ticketTypeId],
  );
  return rows[0]!;
}

async function main() {
  if (args.build && !args['no-build']) build();
  const benchDb = await createBenchDatabase();
  const databaseUrl = benchDb.url;
  const db = new pg.Client({ connectionString: databaseUrl });
  let servers: Server[] = [];
  const rss: number[] = [];
  try {
    log(`${processes} server process(es), capacity ${capacity}, ${connections} connections`);
    servers = await startServers(databaseUrl, { ALLOCATOR_BATCHING: 'true' });
    await db.connect();
    // Warm up (JIT, pools) on a small sale of its own.
    const warm = await makeTicketType(db, 2000);
    await sale(servers, warm.eventId, warm.ticketTypeId);

    const noopRps = await noop(servers);
    log(`noop: ${Math.round(noopRps)} req/s`);

    const batchedTT = await makeTicketType(db, capacity);
    const batched = await sale(servers, batchedTT.eventId, batchedTT.ticketTypeId);
    const counted = await recount(db, batchedTT.ticketTypeId);
    rss.push(...servers.map((s) => s.peakRssMb()));
    const bookingsPerS = batched.bookings / (batched.elapsedMs / 1000);
    log(`batched: ${batched.bookings} bookings (${batched.tickets} tickets) in ${(batched.elapsedMs / 1000).toFixed(2)} s = ${Math.round(bookingsPerS)}/s`);
    await Promise.all(servers.map((s) => s.stop()));
    servers = [];

    let naivePerS: number | null = null;
    let naiveOversold = 0;
    if (runNaive) {
      servers = await startServers(databaseUrl, { ALLOCATOR_BATCHING: 'false' });
      const w = await makeTicketType(db, 1000);
      await sale(servers, w.eventId, w.ticketTypeId);
      const naiveTT = await makeTicketType(db, capacity);
      const naive = await sale(servers, naiveTT.eventId, naiveTT.ticketTypeId);
      const nc = await recount(db, naiveTT.ticketTypeId);
      naiveOversold = Math.max(0, nc.recount - nc.capacity, nc.held + nc.sold - nc.capacity);
      naivePerS = naive.bookings / (naive.elapsedMs / 1000);
      rss.push(...servers.map((s) => s.peakRssMb()));
      log(`naive: ${naive.bookings} bookings in ${(naive.elapsedMs / 1000).toFixed(2)} s = ${Math.round(naivePerS)}/s`);
      await Promise.all(servers.map((s) => s.stop()));
      servers = [];
    }

    const lat = [...batched.latencies].sort((a, b) => a - b);
    const result = {
      bench: 'flash-sale',
      mode: 'batched',
      processes,
      connections,
      capacity,
      sold: counted.recount,
      oversold: Math.max(0, counted.recount - capacity, counted.held + counted.sold - capacity) + naiveOversold,
      counters_match: counted.recount === counted.held + counted.sold,
      requests: batched.requests,
      errors: batched.errors,
      bookings_per_s: round(bookingsPerS),
      p50_ms: round(percentile(lat, 50), 2),
      p99_ms: round(percentile(lat, 99), 2),
      noop_rps: round(noopRps),
      ratio_to_noop: round(bookingsPerS / noopRps, 3),
      naive_bookings_per_s: naivePerS === null ? null : round(naivePerS),
      speedup_vs_naive: naivePerS ? round(bookingsPerS / naivePerS, 2) : null,
      max_rss_mb: Math.max(...rss),
    };
    process.stdout.write(JSON.stringify(result) + '\n');
  } finally {
    await Promise.all(servers.map((s) => s.stop().catch(() => {})));
    await db.end().catch(() => {});
    await benchDb.drop();
  }
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
