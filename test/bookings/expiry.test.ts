import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, testDatabaseUrl, type TestApp } from '../helpers/testApp.js';
import { factories } from '../helpers/factories.js';
import { startWorker } from '../../src/platform/jobs/runner.js';
import { taskList, TASKS } from '../../src/platform/jobs/tasks.js';
import { counterCheck } from '../../src/doctor.js';
import { bookingBody, counters, newKey } from './support.js';

let t: TestApp;
let make: ReturnType<typeof factories>;
beforeAll(async () => {
  t = await testApp();
  make = factories(t.db, t.ctx.tokens);
});
afterAll(async () => {
  await t.close();
});

async function book(eventId: string, ticketTypeId: string, quantity: number) {
  const res = await t.app.inject({
    method: 'POST', url: '/api/v1/bookings', headers: { 'idempotency-key': newKey() },
    payload: bookingBody(eventId, [{ ticketTypeId, quantity }]),
  });
  expect(res.statusCode).toBe(201);
  return res.json() as { id: string; expiresAt: string; bookingAccessToken: string };
}

const status = async (id: string) =>
  (await t.db.selectFrom('bookings').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;

describe('hold expiry', () => {
  it('schedules a job keyed by booking at expiresAt, in the same transaction as the hold', async () => {
    const { ticketType, event } = await make.ticketType({ capacity: 10 });
    const b = await book(event.id, ticketType.id, 2);
    const { rows } = await sql<{ run_at: Date; task: string }>`
      select j.run_at, t.identifier as task from graphile_worker._private_jobs j
      join graphile_worker._private_tasks t on t.id = j.task_id where j.key = ${`booking-expiry:${b.id}`}`.execute(t.db);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.task).toBe(TASKS.expireBooking);
    expect(rows[0]!.run_at.toISOString()).toBe(b.expiresAt);
  });

  it('(6) releases the inventory exactly once with the keyed job and the sweep racing', async () => {
    const { ticketType, event } = await make.ticketType({ capacity: 100 });
    const due = await Promise.all(Array.from({ length: 20 }, (_, i) => book(event.id, ticketType.id, 1 + (i % 4))));
    const notDue = await book(event.id, ticketType.id, 3);
    const dueQty = due.reduce((s, _b, i) => s + 1 + (i % 4), 0);
    expect((await counters(t.db, ticketType.id)).held).toBe(dueQty + 3);
    await t.db.updateTable('bookings').set({ expires_at: new Date(Date.now() - 1000) }).where('id', 'in', due.map((b) => b.id)).execute();

    const tasks = taskList(t.ctx);
    const helpers = { logger: { error: () => {} }, addJob: async () => ({}) } as never;
    // Each booking's keyed job three times over, and five sweeps, all at once.
    await Promise.all([
      ...due.flatMap((b) => [1, 2, 3].map(() => tasks[TASKS.expireBooking]!({ bookingId: b.id }, helpers))),
      ...[1, 2, 3, 4, 5].map(() => tasks[TASKS.expirySweep]!({}, helpers)),
      // The not-yet-due booking's job running early changes nothing.
      tasks[TASKS.expireBooking]!({ bookingId: notDue.id }, helpers),
    ]);
    const c = await counters(t.db, ticketType.id);
    expect(c).toMatchObject({ held: 3, recount_held: 3, pending: 1 });
    for (const b of due) expect(await status(b.id)).toBe('expired');
    expect(await status(notDue.id)).toBe('pending');
    // An expired booking cannot be cancelled.
    const cancel = await t.app.inject({
      method: 'PATCH', url: `/api/v1/bookings/${due[0]!.id}/cancel`, headers: { 'x-booking-token': due[0]!.bookingAccessToken },
    });
    expect(cancel.statusCode).toBe(409);
    expect(cancel.json()).toMatchObject({ code: 'booking_not_pending', bookingStatus: 'expired' });
    expect((await counters(t.db, ticketType.id)).held).toBe(3);
  });

  it('a running worker expires a due booking by itself and the tickets go back on sale', async () => {
    const { ticketType, event } = await make.ticketType({ capacity: 2 });
    const b = await book(event.id, ticketType.id, 2);
    // Make it due now, and move its keyed job to now (as if hold_minutes had passed).
    await t.db.updateTable('bookings').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', b.id).execute();
    await sql`update graphile_worker._private_jobs set run_at = now() where key = ${`booking-expiry:${b.id}`}`.execute(t.db);
    const worker = await startWorker(t.ctx, { connectionString: testDatabaseUrl(), concurrency: 2, pollInterval: 200, crontab: false });
    try {
      const deadline = Date.now() + 15_000;
      while ((await status(b.id)) !== 'expired' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(await status(b.id)).toBe('expired');
      expect(await counters(t.db, ticketType.id)).toMatchObject({ held: 0, recount_held: 0 });
    } finally {
      await worker.stop();
    }
    const again = await t.app.inject({
      method: 'POST', url: '/api/v1/bookings', headers: { 'idempotency-key': newKey() },
      payload: bookingBody(event.id, [{ ticketTypeId: ticketType.id, quantity: 2 }]),
    });
    expect(again.statusCode).toBe(201);
  });
});

describe('doctor: counter reconciliation', () => {
  it('reports drift per ticket type and --repair fixes it', async () => {
    const { ticketType, event } = await make.ticketType({ capacity: 10 });
    await book(event.id, ticketType.id, 3);
    expect(await t.ctx.inventory.recount([ticketType.id])).toEqual([]);
    // Simulate a bug: the counter says 5 held.
    await t.db.updateTable('ticket_types').set({ held: 5 }).where('id', '=', ticketType.id).execute();
    const drift = await t.ctx.inventory.recount([ticketType.id]);
    expect(drift).toEqual([expect.objectContaining({ ticketTypeId: ticketType.id, held: 5, expectedHeld: 3, sold: 0, expectedSold: 0 })]);
    const report = await counterCheck(t.ctx, false);
    expect(report.ok).toBe(false);
    expect(report.detail).toContain(ticketType.id);
    expect((await counters(t.db, ticketType.id)).held).toBe(5); // report only
    const changed = await t.ctx.inventory.repair([ticketType.id]);
    expect(changed).toEqual([expect.objectContaining({ ticketTypeId: ticketType.id, held: 5, expectedHeld: 3 })]);
    expect(await counters(t.db, ticketType.id)).toMatchObject({ held: 3, recount_held: 3 });
    expect(await t.ctx.inventory.recount([ticketType.id])).toEqual([]);
  });
});
