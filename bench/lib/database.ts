/** A throwaway database for a benchmark: on DATABASE_URL's server, or an embedded PostgreSQL. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { startEmbedded, type EmbeddedServer } from '../../src/platform/db/embedded.js';
import { freePort, log } from './server.js';

export interface BenchDatabase {
  /** URL of the fresh database. */
  url: string;
  /** Drop the database (and stop the embedded server if one was started). */
  drop(): Promise<void>;
}

/**
 * A new database `tikiti_bench_[<name>_]<random>` (DATABASE_URL's server if set, else embedded
 * PostgreSQL in a temp folder).
 */
export async function createBenchDatabase(o: { name?: string } = {}): Promise<BenchDatabase> {
  let embedded: EmbeddedServer | undefined;
  let tmp: string | undefined;
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tikiti-bench-pg-'));
    fs.chmodSync(tmp, 0o755); // initdb may run as another user when started by root
    log(`starting embedded PostgreSQL in ${tmp}…`);
    embedded = await startEmbedded(tmp, await freePort(), pino({ level: 'warn' }));
    adminUrl = embedded.url;
  }
  const dbName = `tikiti_bench_${o.name ? `${o.name}_` : ''}${crypto.randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  const u = new URL(adminUrl);
  u.pathname = `/${dbName}`;
  return {
    url: u.toString(),
    async drop() {
      await admin.query(`drop database if exists ${dbName} with (force)`).catch(() => {});
      await admin.end().catch(() => {});
      await embedded?.stop();
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/**
 * A published event (new organizer and venue) with one ticket type of `capacity`, in one statement.
 * `held` presets the held counter (for holds the caller inserts itself).
 */
export async function makeTicketType(
  db: pg.Client,
  capacity: number,
  o: { eventName?: string; price?: number; held?: number } = {},
): Promise<{ eventId: string; ticketTypeId: string }> {
  const slug = `bench-${crypto.randomBytes(4).toString('hex')}`;
  const { rows } = await db.query<{ event_id: string; ticket_type_id: string }>(
    `with o as (insert into organizers (name, slug) values ($1, $1) returning id),
          v as (insert into venues (organizer_id, name, city, country, timezone, capacity)
                select id, 'Amahoro Stadium', 'Kigali', 'RW', 'Africa/Kigali', 45000 from o returning id, organizer_id),
          e as (insert into events (organizer_id, venue_id, name, starts_at, ends_at, timezone, status, published_at)
                select organizer_id, id, $3, now() + interval '30 days', now() + interval '30 days 3 hours', 'Africa/Kigali', 'published', now()
                from v returning id),
          t as (insert into ticket_types (event_id, name, price, currency, capacity, held, max_per_order)
                select id, 'Regular', $4, 'RWF', $2, $5, 10 from e returning id, event_id)
     select event_id, id as ticket_type_id from t`,
    [slug, capacity, o.eventName ?? 'Flash sale', o.price ?? 5000, o.held ?? 0],
  );
  return { eventId: rows[0]!.event_id, ticketTypeId: rows[0]!.ticket_type_id };
}
