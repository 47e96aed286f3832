import crypto from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createDb, type DbHandle } from '../../src/platform/db/database.js';
import { createContext } from '../../src/context.js';
import { buildApp } from '../../src/app.js';
import { testConfig, testDatabaseUrl } from '../helpers/testApp.js';
import { factories } from '../helpers/factories.js';

/**
 * DATABASE_REPLICA_URL: the public catalogue reads from the replica pool; availability, bookings
 * and everything else use the primary. The "replica" here is the test database through a pool
 * whose sessions are read-only, and whose connection checkouts are counted.
 */
let primary: DbHandle;
let replica: DbHandle;
let app: FastifyInstance;
let replicaCheckouts = 0;
let make: ReturnType<typeof factories>;

beforeAll(async () => {
  const config = testConfig();
  primary = createDb(config.DATABASE_URL!, { max: 5 });
  const url = new URL(testDatabaseUrl());
  url.searchParams.set('options', '-c default_transaction_read_only=on');
  replica = createDb(url.toString(), { max: 2, applicationName: 'tikiti-replica-test' });
  replica.pool.on('acquire', () => replicaCheckouts++);
  const log = pino({ level: 'silent' });
  const ctx = createContext(config, primary.db, log, { readDb: replica.db });
  app = await buildApp({ ctx, logger: log });
  await app.ready();
  make = factories(primary.db, ctx.tokens);
});

afterAll(async () => {
  await app?.close();
  await primary?.close();
  await replica?.close();
});

async function replicaUse(fn: () => Promise<void>): Promise<number> {
  const before = replicaCheckouts;
  await fn();
  return replicaCheckouts - before;
}

describe('read replica for the catalogue', () => {
  it('GET /events and GET /events/{id} read from the replica; availability and bookings never do', async () => {
    const { event, ticketType } = await make.ticketType({ capacity: 10 });
    expect(
      await replicaUse(async () => {
        const res = await app.inject({ method: 'GET', url: '/api/v1/events?limit=5' });
        expect(res.statusCode).toBe(200);
      }),
    ).toBeGreaterThan(0);
    expect(
      await replicaUse(async () => {
        const res = await app.inject({ method: 'GET', url: `/api/v1/events/${event.id}` });
        expect(res.statusCode).toBe(200);
        expect(res.json()).toMatchObject({ id: event.id, ticketTypes: [expect.objectContaining({ id: ticketType.id, remaining: 10 })] });
      }),
    ).toBeGreaterThan(0);
    expect(
      await replicaUse(async () => {
        const availability = await app.inject({ method: 'GET', url: `/api/v1/events/${event.id}/availability` });
        expect(availability.statusCode).toBe(200);
        const booking = await app.inject({
          method: 'POST',
          url: '/api/v1/bookings',
          headers: { 'idempotency-key': crypto.randomUUID() },
          payload: { eventId: event.id, items: [{ ticketTypeId: ticketType.id, quantity: 2 }], buyer: { name: 'A', email: 'a@example.test', phone: '+250788123456' } },
        });
        expect(booking.statusCode, booking.body).toBe(201);
        const owner = await make.member({ organizerId: event.organizer_id, role: 'owner' });
        const patch = await app.inject({ method: 'PATCH', url: `/api/v1/events/${event.id}`, headers: owner.auth, payload: { name: 'Renamed on the primary' } });
        expect(patch.statusCode).toBe(200);
      }),
    ).toBe(0);
  });

  it('the replica really is read-only here (so a write through it would have failed the test above)', async () => {
    await expect(replica.db.insertInto('organizers').values({ name: 'x', slug: `x-${crypto.randomUUID()}` }).execute()).rejects.toThrow(/read-only/);
  });
});
