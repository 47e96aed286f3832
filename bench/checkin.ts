/**
 * Check-in benchmark: `npm run bench:checkin [-- --quick] [--tickets N] [--connections K]
 *   [--duplicates 0.1] [--forged 0.05]`
 *
 * Starts the server (node --import tsx src/main.ts serve, one process), issues N tickets through
 * the tickets service (real issuance: signed payloads, one transaction per booking), creates a
 * check-in list, then scans every ticket over real HTTP from K keep-alive connections — plus a
 * share of duplicates (half of them right behind the original, so they race it) and forged
 * payloads (valid claims, wrong signature). Recounts in SQL that every ticket got in exactly once.
 * Prints ONE JSON line on stdout (progress on stderr).
 *
 * Uses DATABASE_URL if set (a fresh database on that server, dropped after), else an embedded
 * PostgreSQL in a temporary folder.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { sql } from 'kysely';
import { Pool } from 'undici';
import { loadConfig } from '../src/config.js';
import { createDb } from '../src/platform/db/database.js';
import { createContext } from '../src/context.js';
import { Tokens } from '../src/modules/identity/tokens.js';
import { createBenchDatabase } from './lib/database.js';
import { drive, httpCeiling, shuffle } from './lib/load.js';
import { logger, startServer, type Server } from './lib/server.js';
import { latencySummary } from './lib/stats.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    tickets: { type: 'string' },
    connections: { type: 'string' },
    duplicates: { type: 'string' },
    forged: { type: 'string' },
  },
});
const quick = args.quick!;
const N = Number(args.tickets ?? (quick ? 2_000 : 20_000));
const connections = Number(args.connections ?? 64);
const dupShare = Number(args.duplicates ?? 0.1);
const forgedShare = Number(args.forged ?? 0.05);
const log = logger('bench:checkin');
const JWT_SECRET = crypto.randomBytes(32).toString('hex');

async function main() {
  const benchDb = await createBenchDatabase({ name: 'checkin' });
  const databaseUrl = benchDb.url;
  let server: Server | undefined;
  const handle = createDb(databaseUrl, { max: 10, applicationName: 'bench-checkin' });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tikiti-bench-ctx-'));
  try {
    log(`starting the server (it migrates ${new URL(databaseUrl).pathname.slice(1)})`);
    server = await startServer(databaseUrl, { JWT_SECRET }, { source: true });
    const config = loadConfig({ NODE_ENV: 'production', DATABASE_URL: databaseUrl, JWT_SECRET, TIKITI_DATA_DIR: dataDir, LOG_LEVEL: 'silent', WORKER_IN_PROCESS: 'false' });
    const ctx = createContext(config, handle.db, pino({ level: 'silent' }));
    const db = handle.db;

    // An organizer, a gate steward, an event on now, one ticket type, a check-in list.
    const slug = `bench-${crypto.randomBytes(4).toString('hex')}`;
    const org = await db.insertInto('organizers').values({ name: slug, slug }).returning('id').executeTakeFirstOrThrow();
    const user = await db.insertInto('users').values({ email: `${slug}@example.test`, name: 'Gate steward', password_hash: 'x' }).returning('id').executeTakeFirstOrThrow();
    await db.insertInto('organizer_members').values({ organizer_id: org.id, user_id: user.id, role: 'gate' }).execute();
    const venue = await db.insertInto('venues').values({ organizer_id: org.id, name: 'Amahoro Stadium', city: 'Kigali', country: 'RW', timezone: 'Africa/Kigali', capacity: 45_000 }).returning('id').executeTakeFirstOrThrow();
    const event = await db
      .insertInto('events')
      .values({ organizer_id: org.id, venue_id: venue.id, name: 'Bench match', starts_at: new Date(Date.now() - 600_000), ends_at: new Date(Date.now() + 3 * 3600_000), timezone: 'Africa/Kigali', status: 'published', published_at: new Date() })
      .returning('id')
      .executeTakeFirstOrThrow();
    const tt = await db.insertInto('ticket_types').values({ event_id: event.id, name: 'Regular', price: 5000, currency: 'RWF', capacity: N, sold: N, max_per_order: 1000 }).returning('id').executeTakeFirstOrThrow();
    const list = await db.insertInto('checkin_lists').values({ event_id: event.id, name: 'All gates' }).returning('id').executeTakeFirstOrThrow();

    // Confirmed bookings of 4 tickets (SQL), then real issuance through the service.
    const perBooking = 4;
    const bookings = Math.ceil(N / perBooking);
    const { rows: bookingRows } = await sql<{ booking_id: string }>`
      with b as (
        insert into bookings (event_id, status, buyer_name, buyer_email, buyer_phone, total, currency, expires_at, confirmed_at)
        select ${event.id}::uuid, 'confirmed', 'Buyer ' || g, 'buyer' || g || '@example.test', '+250788123456', 0, 'RWF', now(), now()
        from generate_series(1, ${bookings}::int) g
        returning id
      ), numbered as (select id, row_number() over () as n from b)
      insert into holds (booking_id, ticket_type_id, quantity, unit_price)
      select id, ${tt.id}::uuid, case when n < ${bookings}::int then ${perBooking}::int else ${N}::int - (${bookings}::int - 1) * ${perBooking}::int end, 5000
      from numbered
      returning booking_id`.execute(db);
    log(`issuing ${N} tickets in ${bookings} bookings`);
    const issueStart = performance.now();
    const ids = bookingRows.map((r) => r.booking_id);
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < ids.length) await ctx.tickets.issueForBooking(ids[next++]!);
      }),
    );
    const issueSeconds = (performance.now() - issueStart) / 1000;
    const tickets = await db.selectFrom('tickets').select(['id', 'qr_payload']).where('event_id', '=', event.id).execute();
    if (tickets.length !== N) throw new Error(`issued ${tickets.length}, expected ${N}`);

    // The scan mix: every ticket once, duplicates (half right behind their original), forged payloads.
    const dupCount = Math.round(N * dupShare);
    const forgedCount = Math.round(N * forgedShare);
    const order: string[] = shuffle(tickets.map((t) => t.qr_payload));
    const scans: string[] = [];
    const racers = new Set<number>();
    while (racers.size < Math.min(dupCount, N)) racers.add(crypto.randomInt(0, N));
    const later: string[] = [];
    order.forEach((p, i) => {
      scans.push(p);
      // Even: scanned again right away (in flight at the same time); odd: again later in the run.
      if (racers.has(i)) (i % 2 === 0 ? scans : later).push(p);
    });
    const duplicates = racers.size;
    const forger = crypto.generateKeyPairSync('ed25519');
    const forgedPayloads = Array.from({ length: forgedCount }, (_, i) => {
      const [v, body] = order[i % N]!.split('.') as [string, string];
      const sig = crypto.sign(null, Buffer.concat([Buffer.from('TK1'), Buffer.from(body, 'base64url')]), forger.privateKey);
      return `${v}.${body}.${sig.toString('base64url')}`;
    });
    // Later duplicates and forged ones spread through the run.
    const all = [...scans];
    for (const p of [...later, ...forgedPayloads]) all.splice(crypto.randomInt(0, all.length + 1), 0, p);

    const token = await new Tokens(new TextEncoder().encode(JWT_SECRET), 3600).signAccess({ userId: user.id, isAdmin: false });
    const pool = new Pool(server.url, { connections, pipelining: 1 });
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    const pathname = `/api/v1/checkin-lists/${list.id}/checkins`;
    // Warm-up: the key cache and JIT (an unknown code: refused, changes nothing).
    for (let i = 0; i < 50; i++) {
      const r = await pool.request({ method: 'POST', path: pathname, headers, body: JSON.stringify({ code: 'ZZZZZZZZ', gate: 'warmup', deviceId: 'warmup' }) });
      await r.body.text();
    }

    log(`scanning: ${all.length} scans (${N} tickets, ${duplicates} duplicates, ${forgedCount} forged) over ${connections} connections`);
    const latencies: number[] = new Array(all.length);
    const counts: Record<string, number> = {};
    let admitted = 0;
    let httpErrors = 0;
    const { elapsedMs } = await drive(
      pool,
      connections,
      async (pool, i, c) => {
        const t0 = performance.now();
        const res = await pool.request({ method: 'POST', path: pathname, headers, body: JSON.stringify({ payload: all[i], gate: `gate-${c % 16}`, deviceId: `scanner-${c}` }) });
        const body = (await res.body.json()) as { result?: string; code?: string };
        latencies[i] = performance.now() - t0;
        if (res.statusCode !== 200) httpErrors++;
        else if (body.result === 'admitted') admitted++;
        else counts[body.code ?? 'unknown'] = (counts[body.code ?? 'unknown'] ?? 0) + 1;
      },
      { count: all.length },
    );
    const seconds = elapsedMs / 1000;

    // The HTTP ceiling of this server on this machine right now: a trivial route, same connections.
    const ceiling = Math.round(await httpCeiling(pool, connections, quick ? 1.5 : 3));
    await pool.close();

    const { rows } = await sql<{ checkins: number; tickets: number; never_in: number }>`
      select count(*)::int as checkins, count(distinct ticket_id)::int as tickets,
             (select count(*)::int from tickets t where t.event_id = ${event.id}::uuid
                and not exists (select 1 from checkins c where c.ticket_id = t.id and c.checkin_list_id = ${list.id}::uuid)) as never_in
      from checkins where checkin_list_id = ${list.id}::uuid`.execute(db);
    const r = rows[0]!;
    const exactlyOnce = r.checkins === N && r.tickets === N && r.never_in === 0 && admitted === N && httpErrors === 0 &&
      (counts.already_redeemed ?? 0) === duplicates && (counts.invalid_signature ?? 0) === forgedCount;
    const { p50_ms, p99_ms } = latencySummary(latencies, [50, 99]);
    const out = {
      bench: 'checkin',
      quick,
      tickets: N,
      scans: all.length,
      connections,
      issue_tickets_per_s: Math.round(N / issueSeconds),
      duration_s: Number(seconds.toFixed(2)),
      scans_per_s: Math.round(all.length / seconds),
      p50_ms,
      p99_ms,
      http_ceiling_per_s: ceiling,
      load_average: os.loadavg().map((l) => Number(l.toFixed(2))),
      admitted,
      rejected: counts,
      http_errors: httpErrors,
      expected: { admitted: N, already_redeemed: duplicates, invalid_signature: forgedCount },
      sql_recount: { checkins: r.checkins, distinct_tickets: r.tickets, never_admitted: r.never_in },
      admitted_exactly_once: exactlyOnce,
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
    if (!exactlyOnce) process.exitCode = 1;
  } finally {
    await server?.stop();
    await handle.close();
    await benchDb.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
