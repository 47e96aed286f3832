import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, testDatabaseUrl, type TestApp } from '../helpers/testApp.js';
import { factories } from '../helpers/factories.js';
import { counters } from '../bookings/support.js';
import { flashSale, startServer, type SaleAnswer, type ServerProcess } from './support.js';

let t: TestApp;
let make: ReturnType<typeof factories>;
beforeAll(async () => {
  t = await testApp();
  make = factories(t.db, t.ctx.tokens);
});
afterAll(async () => {
  await t.close();
});

/** Every 201 booking exists, is pending and holds what it answered; holds match counters; nothing oversold. */
async function expectSoldExactly(ticketTypeId: string, capacity: number, answers: SaleAnswer[]) {
  const ok = answers.filter((a) => a.status === 201);
  const refused = answers.filter((a) => a.status !== 201);
  const c = await counters(t.db, ticketTypeId);
  expect(c.held).toBeLessThanOrEqual(capacity);
  expect(c.recount_held).toBe(c.held);
  expect(ok.reduce((s, a) => s + a.quantity, 0)).toBe(c.held);
  expect(c.pending).toBe(ok.length);
  const rows = await t.db
    .selectFrom('holds')
    .innerJoin('bookings', 'bookings.id', 'holds.booking_id')
    .select(['bookings.id', 'holds.quantity', 'bookings.status'])
    .where('holds.ticket_type_id', '=', ticketTypeId)
    .execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  for (const a of ok) expect(byId.get(a.bookingId!)).toMatchObject({ quantity: a.quantity, status: 'pending' });
  return { ok, refused, held: c.held };
}

describe('the allocator under a flash sale (real sockets, real PostgreSQL)', () => {
  it('(1) 2,000 concurrent requests for 500 tickets: exactly 500 held, every other request 409 sold_out', async () => {
    const { ticketType, event } = await make.ticketType({ capacity: 500 });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.server.address() as { port: number };
    const answers = await flashSale([`http://127.0.0.1:${port}`], { eventId: event.id, ticketTypeId: ticketType.id, count: 2000 });
    const { refused, held } = await expectSoldExactly(ticketType.id, 500, answers);
    expect(held).toBe(500);
    expect(refused.every((a) => a.status === 409 && a.code === 'sold_out')).toBe(true);
    expect(t.ctx.inventory.allocator.stats.batches).toBeLessThan(t.ctx.inventory.allocator.stats.requests);
  });

  it('(1b) the same with batching switched off (one transaction per request)', async () => {
    const naive = await (await import('../helpers/testApp.js')).testApp({ ALLOCATOR_BATCHING: false });
    try {
      const { ticketType, event } = await make.ticketType({ capacity: 200 });
      await naive.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = naive.app.server.address() as { port: number };
      const answers = await flashSale([`http://127.0.0.1:${port}`], { eventId: event.id, ticketTypeId: ticketType.id, count: 600, connections: 100 });
      const { refused, held } = await expectSoldExactly(ticketType.id, 200, answers);
      expect(held).toBe(200);
      expect(refused.every((a) => a.status === 409 && a.code === 'sold_out')).toBe(true);
      expect(naive.ctx.inventory.allocator.stats.batches).toBe(0);
    } finally {
      await naive.close();
    }
  });

  describe('with real server processes', () => {
    const servers: ServerProcess[] = [];
    afterAll(async () => {
      await Promise.all(servers.map((s) => s.stop('SIGKILL')));
    });

    it('(2) 2,000 requests split across two server processes on one database: exactly 500 held', async () => {
      // Small batches: with the default (256 requests ≈ 640 tickets) one process's first batch can
      // take all 500 before the other commits anything; small ones make the two really interleave.
      const env = { ALLOCATOR_MAX_BATCH: '16' };
      servers.push(...(await Promise.all([startServer(testDatabaseUrl(), env), startServer(testDatabaseUrl(), env)])));
      const { ticketType, event } = await make.ticketType({ capacity: 500 });
      const answers = await flashSale(servers.map((s) => s.url), { eventId: event.id, ticketTypeId: ticketType.id, count: 2000 });
      const { refused, held } = await expectSoldExactly(ticketType.id, 500, answers);
      expect(held).toBe(500);
      expect(refused.every((a) => a.status === 409 && a.code === 'sold_out')).toBe(true);
      // Both processes sold.
      expect(answers.filter((a, i) => a.status === 201 && i % 2 === 0).length).toBeGreaterThan(0);
      expect(answers.filter((a, i) => a.status === 201 && i % 2 === 1).length).toBeGreaterThan(0);
    });

    it('(3) a server killed with SIGKILL mid-sale: after restart doctor finds no drift and every 201 kept its hold', async () => {
      const [victim, survivor] = servers;
      const { ticketType, event } = await make.ticketType({ capacity: 5000 });
      let killed = false;
      let answered = 0;
      const answers = await flashSale([victim!.url, survivor!.url], {
        eventId: event.id,
        ticketTypeId: ticketType.id,
        count: 1600,
        onAnswer: () => {
          if (++answered === 300 && !killed) {
            killed = true;
            victim!.child.kill('SIGKILL');
          }
        },
      });
      expect(killed).toBe(true);
      await victim!.stop('SIGKILL');
      const lost = answers.filter((a) => a.status === 0);
      expect(lost.length).toBeGreaterThan(0); // the kill did cut requests off
      // Restart the process; the sale goes on.
      servers[0] = await startServer(testDatabaseUrl());
      const more = await flashSale([servers[0].url], { eventId: event.id, ticketTypeId: ticketType.id, count: 100 });
      expect(more.filter((a) => a.status === 201).length).toBeGreaterThan(0);

      const drift = await t.ctx.inventory.recount([ticketType.id]);
      expect(drift).toEqual([]);
      const all = [...answers, ...more];
      const ok = all.filter((a) => a.status === 201);
      const rows = await t.db.selectFrom('bookings').innerJoin('holds', 'holds.booking_id', 'bookings.id')
        .select(['bookings.id', 'holds.quantity', 'bookings.status']).where('holds.ticket_type_id', '=', ticketType.id).execute();
      const byId = new Map(rows.map((r) => [r.id, r]));
      for (const a of ok) expect(byId.get(a.bookingId!)).toMatchObject({ quantity: a.quantity, status: 'pending' });
      const c = await counters(t.db, ticketType.id);
      expect(c.held).toBeLessThanOrEqual(5000);
      expect(c.held).toBe(c.recount_held);
      // Requests cut off by the kill may or may not have committed; nothing else did.
      expect(rows.length).toBeLessThanOrEqual(ok.length + lost.length);
      expect(rows.length).toBeGreaterThanOrEqual(ok.length);
    });
  });
});
