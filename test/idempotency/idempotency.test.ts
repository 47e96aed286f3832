import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../helpers/testApp.js';
import { factories } from '../helpers/factories.js';
import { bookingBody, counters, newKey } from '../bookings/support.js';
import { canonicalJson, parseIdempotencyKey } from '../../src/platform/http/idempotency.js';

let t: TestApp;
let make: ReturnType<typeof factories>;
beforeAll(async () => {
  t = await testApp();
  make = factories(t.db, t.ctx.tokens);
});
afterAll(async () => {
  await t.close();
});

const bookingsOf = async (ticketTypeId: string) =>
  (await t.db.selectFrom('holds').select('booking_id').where('ticket_type_id', '=', ticketTypeId).execute()).length;

describe('Idempotency-Key', () => {
  it('parses quoted and bare keys and refuses empty, too long or non-ASCII ones', () => {
    expect(parseIdempotencyKey('abc')).toBe('abc');
    expect(parseIdempotencyKey('"abc"')).toBe('abc');
    expect(() => parseIdempotencyKey(undefined)).toThrow(expect.objectContaining({ code: 'idempotency_key_required' }));
    for (const bad of ['', '""', '   ', 'x'.repeat(256), 'clé', ['a', 'b']]) {
      expect(() => parseIdempotencyKey(bad)).toThrow(expect.objectContaining({ code: 'idempotency_key_invalid', status: 400 }));
    }
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 1 }] })).toBe('{"a":[{"c":1,"d":2}],"b":1}');
  });

  it('is required on POST /bookings, and checked before anything is held', async () => {
    const { ticketType, event } = await make.ticketType({ capacity: 5 });
    const body = bookingBody(event.id, [{ ticketTypeId: ticketType.id, quantity: 1 }]);
    const none = await t.app.inject({ method: 'POST', url: '/api/v1/bookings', payload: body });
    expect(none.statusCode).toBe(400);
    expect(none.json().code).toBe('idempotency_key_required');
    const long = await t.app.inject({ method: 'POST', url: '/api/v1/bookings', headers: { 'idempotency-key': 'k'.repeat(300) }, payload: body });
    expect(long.json().code).toBe('idempotency_key_invalid');
    expect(await bookingsOf(ticketType.id)).toBe(0);
  });

  it('replays the stored response for the same key and body (quoted or not); 422 for another body', async () => {
    const { ticketType, event } = await make.ticketType({ capacity: 5 });
    const user = await make.user();
    const key = newKey();
    const body = bookingBody(event.id, [{ ticketTypeId: ticketType.id, quantity: 2 }]);
    const first = await t.app.inject({ method: 'POST', url: '/api/v1/bookings', headers: { ...user.auth, 'idempotency-key': key }, payload: body });
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await t.app.inject({ method: 'POST', url: '/api/v1/bookings', headers: { ...user.auth, 'idempotency-key': `"${key}"` }, payload: body });
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toBe(first.body);
    expect(await bookingsOf(ticketType.id)).toBe(1);
    expect((await counters(t.db, ticketType.id)).held).toBe(2);

    const other = await t.app.inject({
      method: 'POST', url: '/api/v1/bookings', headers: { ...user.auth, 'idempotency-key': key },
      payload: bookingBody(event.id, [{ ticketTypeId: ticketType.id, quantity: 3 }]),
    });
    expect(other.statusCode).toBe(422);
    expect(other.json().code).toBe('idempotency_key_reused');
    // Keys belong to their caller: another user with the same key gets their own booking.
    const someoneElse = await make.user();
    const theirs = await t.app.inject({ method: 'POST', url: '/api/v1/bookings', headers: { ...someoneElse.auth, 'idempotency-key': key }, payload: body });
    expect(theirs.statusCode).toBe(201);
    expect(theirs.json().id).not.toBe(first.json().id);
  });

  it('stores deterministic 4xx outcomes (sold_out replays), but not validation failures', async () => {
    const { ticketType, event } = await make.ticketType({ capacity: 1 });
    const key = newKey();
    const body = bookingBody(event.id, [{ ticketTypeId: ticketType.id, quantity: 2 }]);
    const first = await t.app.inject({ method: 'POST', url: '/api/v1/bookings', headers: { 'idempotency-key': key }, payload: body });
    expect(first.json().code).toBe('sold_out');
    const again = await t.app.inject({ method: 'POST', url: '/api/v1/bookings', headers: { 'idempotency-key': key }, payload: body });
    expect(again.statusCode).toBe(409);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toBe(first.body);

    const vkey = newKey();
    const invalid = await t.app.inject({ method: 'POST', url: '/api/v1/bookings', headers: { 'idempotency-key': vkey }, payload: { eventId: event.id } });
    expect(invalid.statusCode).toBe(400);
    const fixed = await t.app.inject({
      method: 'POST', url: '/api/v1/bookings', headers: { 'idempotency-key': vkey },
      payload: bookingBody(event.id, [{ ticketTypeId: ticketType.id, quantity: 1 }]),
    });
    expect(fixed.statusCode).toBe(201);
  });

  it('a retry after a response was lost (process died after the commit) answers the booking already made', async () => {
    const { ticketType, event } = await make.ticketType({ capacity: 5 });
    const body = bookingBody(event.id, [{ ticketTypeId: ticketType.id, quantity: 2 }]);
    for (const who of ['guest', 'user'] as const) {
      const headers = who === 'user' ? (await make.user()).auth : {};
      const key = newKey();
      const first = await t.app.inject({ method: 'POST', url: '/api/v1/bookings', headers: { ...headers, 'idempotency-key': key }, payload: body });
      expect(first.statusCode).toBe(201);
      // What a crash between the booking's commit and storing its response leaves: the key still
      // in progress, long enough ago to be taken over.
      await t.db
        .updateTable('idempotency_keys')
        .set({ status: 'in_progress', response_code: null, response_body: null, locked_at: new Date(Date.now() - 5 * 60_000) })
        .where('key', '=', key)
        .execute();
      const retry = await t.app.inject({ method: 'POST', url: '/api/v1/bookings', headers: { ...headers, 'idempotency-key': key }, payload: body });
      expect(retry.statusCode, retry.body).toBe(201);
      expect(retry.json().id).toBe(first.json().id);
      if (who === 'guest') {
        // The guest gets a working access token for the booking (the first one may never have arrived).
        const token = retry.json().bookingAccessToken as string;
        const read = await t.app.inject({ url: `/api/v1/bookings/${retry.json().id}`, headers: { 'x-booking-token': token } });
        expect(read.statusCode).toBe(200);
      }
    }
    expect(await bookingsOf(ticketType.id)).toBe(2);
    expect((await counters(t.db, ticketType.id)).held).toBe(4);
  });

  it('releases the key after a 5xx so the client can retry', async () => {
    const { ticketType, event } = await make.ticketType({ capacity: 3 });
    const key = newKey();
    const body = bookingBody(event.id, [{ ticketTypeId: ticketType.id, quantity: 1 }]);
    const original = t.ctx.bookings.create.bind(t.ctx.bookings);
    t.ctx.bookings.create = async () => {
      throw new Error('database went away');
    };
    try {
      const failed = await t.app.inject({ method: 'POST', url: '/api/v1/bookings', headers: { 'idempotency-key': key }, payload: body });
      expect(failed.statusCode).toBe(500);
    } finally {
      t.ctx.bookings.create = original;
    }
    const retry = await t.app.inject({ method: 'POST', url: '/api/v1/bookings', headers: { 'idempotency-key': key }, payload: body });
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
  });

  it('(4) 50 concurrent requests with one key and one body make exactly one booking; answers identical or 409 in use', async () => {
    const { ticketType, event } = await make.ticketType({ capacity: 100 });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.server.address() as { port: number };
    const agent = new Agent({ connections: 64 });
    try {
      const key = newKey();
      const body = JSON.stringify(bookingBody(event.id, [{ ticketTypeId: ticketType.id, quantity: 2 }]));
      const answers = await Promise.all(
        Array.from({ length: 50 }, async () => {
          const res = await request(`http://127.0.0.1:${port}/api/v1/bookings`, {
            method: 'POST', dispatcher: agent, body,
            headers: { 'content-type': 'application/json', 'idempotency-key': key },
          });
          return { status: res.statusCode, body: await res.body.text(), replayed: res.headers['idempotent-replayed'] };
        }),
      );
      const created = answers.filter((a) => a.status === 201);
      const inUse = answers.filter((a) => a.status === 409);
      expect(created.length + inUse.length).toBe(50);
      expect(created.length).toBeGreaterThanOrEqual(1);
      // Every 201 is the very same booking (the first, or its replay).
      expect(new Set(created.map((a) => JSON.parse(a.body).id)).size).toBe(1);
      expect(new Set(created.map((a) => { const { bookingAccessToken: _t, ...rest } = JSON.parse(a.body); return JSON.stringify(rest); })).size).toBe(1);
      expect(new Set(created.map((a) => a.body)).size).toBe(1);
      for (const a of inUse) expect(JSON.parse(a.body).code).toBe('idempotency_key_in_use');
      expect(await bookingsOf(ticketType.id)).toBe(1);
      expect(await counters(t.db, ticketType.id)).toMatchObject({ held: 2, recount_held: 2 });
    } finally {
      await agent.close();
    }
  });

  it('purges keys older than 24 hours', async () => {
    const key = newKey();
    await t.db.insertInto('idempotency_keys').values({
      scope: 'anon:test', key, fingerprint: 'x', method: 'POST', path: '/x', created_at: new Date(Date.now() - 25 * 3600_000),
    }).execute();
    expect(await t.ctx.idempotency.purgeExpired()).toBeGreaterThanOrEqual(1);
    expect(await t.db.selectFrom('idempotency_keys').select('key').where('key', '=', key).executeTakeFirst()).toBeUndefined();
  });
});
