import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../helpers/testApp.js';
import { factories } from '../helpers/factories.js';
import { taskList, TASKS } from '../../src/platform/jobs/tasks.js';
import { bookingRow, jobFor, jobHelpers, newKey, paidBooking, pendingBooking, recountSold, shop, ticketCounters, type Make } from './support.js';

let t: TestApp;
let make: Make;
beforeAll(async () => {
  t = await testApp({}, { REFUND_BATCH_SIZE: '3' });
  make = factories(t.db, t.ctx.tokens);
});
afterAll(async () => {
  await t.close();
});

async function cancelledEvent() {
  const s = await shop(t, make, { commissionBps: 650, types: [{ price: 1700, capacity: 100 }, { price: 4100, capacity: 100 }] });
  const [a, b] = [s.types[0]!, s.types[1]!];
  const paid = [];
  for (let i = 0; i < 7; i++) paid.push(await paidBooking(t, s, [{ ticketTypeId: a.id, quantity: 1 + (i % 3) }, { ticketTypeId: b.id, quantity: 1 }]));
  // One already partially refunded by the organizer.
  const part = await t.app.inject({
    method: 'POST', url: `/api/v1/bookings/${paid[0]!.bookingId}/refunds`, headers: { ...s.owner.auth, 'idempotency-key': newKey() },
    payload: { items: [{ ticketTypeId: b.id, quantity: 1 }] },
  });
  expect(part.statusCode).toBe(201);
  const pending = [await pendingBooking(t, s.event.id, [{ ticketTypeId: a.id, quantity: 2 }]), await pendingBooking(t, s.event.id, [{ ticketTypeId: b.id, quantity: 1 }])];

  const res = await t.app.inject({ method: 'POST', url: `/api/v1/events/${s.event.id}/cancel`, headers: s.owner.auth });
  expect(res.statusCode, res.body).toBe(200);
  return { s, a, b, paid, pending };
}

async function expectAllRefunded(c: Awaited<ReturnType<typeof cancelledEvent>>) {
  for (const p of c.paid) {
    expect(await bookingRow(t, p.bookingId)).toMatchObject({ status: 'refunded', refunded_amount: p.total });
    const cancellations = await t.db.selectFrom('refunds').select('amount').where('booking_id', '=', p.bookingId).where('reason', '=', 'event_cancelled').execute();
    expect(cancellations).toHaveLength(1);
  }
  for (const p of c.pending) expect((await bookingRow(t, p.id)).status).toBe('cancelled');
  for (const ty of [c.a, c.b]) {
    expect(await ticketCounters(t, ty.id)).toMatchObject({ held: 0, sold: 0 });
    expect(await recountSold(t, ty.id)).toBe(0);
  }
  // Everything paid was refunded: the organizer is owed nothing, and keeps no commission.
  const balance = await t.app.inject({ url: `/api/v1/organizers/${c.s.organizer.id}/balance`, headers: c.s.owner.auth });
  const gross = c.paid.reduce((n, p) => n + p.total, 0);
  expect(balance.json().balances).toEqual([{ currency: 'RWF', grossSales: gross, commission: 0, refunds: gross, payable: 0 }]);
}

describe('cancelling an event refunds its bookings', () => {
  it('enqueues the refund job with the cancellation; the job refunds every confirmed booking in batches and cancels pending ones', async () => {
    const c = await cancelledEvent();
    expect(await jobFor(t, `refund-cancelled-event:${c.s.event.id}:start`)).toMatchObject({ task: 'refund_cancelled_event', payload: { eventId: c.s.event.id, after: null } });

    // Run the chain of batches as the worker would: each run enqueues the next one.
    const tasks = taskList(t.ctx);
    let payload: { eventId: string; after: string | null } | undefined = { eventId: c.s.event.id, after: null };
    let runs = 0;
    while (payload && runs < 20) {
      await tasks[TASKS.refundCancelledEvent]!(payload, jobHelpers());
      runs++;
      const { rows } = await sql<{ payload: { eventId: string; after: string | null } }>`
        select j.payload from graphile_worker._private_jobs j join graphile_worker._private_tasks k on k.id = j.task_id
        where k.identifier = 'refund_cancelled_event' and j.payload->>'eventId' = ${c.s.event.id} and j.key <> ${`refund-cancelled-event:${c.s.event.id}:start`}
          and coalesce(j.payload->>'after', '') > ${payload.after ?? ''}
        order by j.payload->>'after' limit 1`.execute(t.db);
      payload = rows[0]?.payload;
    }
    expect(runs).toBeGreaterThanOrEqual(3); // 7 bookings, batches of 3
    await expectAllRefunded(c);
  });

  it('is resumable: stopped half-way and restarted from the beginning, or run twice at once, each booking is refunded once', async () => {
    const c = await cancelledEvent();
    // A first worker dies after one batch (it never enqueued the rest).
    const first = await t.ctx.refunds.refundCancelledEventBatch(c.s.event.id, null, 3);
    expect(first).toMatchObject({ refunded: 3, cancelled: 2, failed: [], more: true });
    // The job is retried from its start, twice at once, and runs its batches to the end.
    await Promise.all([1, 2].map(async () => {
      let after: string | null = null;
      for (let i = 0; i < 10; i++) {
        const r = await t.ctx.refunds.refundCancelledEventBatch(c.s.event.id, after, 3);
        expect(r.failed).toEqual([]);
        if (!r.more) break;
        after = r.next;
      }
    }));
    await expectAllRefunded(c);
    // Nothing is left for another run.
    expect(await t.ctx.refunds.refundCancelledEventBatch(c.s.event.id, null, 3)).toMatchObject({ refunded: 0, cancelled: 0, more: false });
  });

  it('does nothing for an event that is not cancelled', async () => {
    const s = await shop(t, make);
    const p = await paidBooking(t, s, [{ ticketTypeId: s.types[0]!.id, quantity: 1 }]);
    await taskList(t.ctx)[TASKS.refundCancelledEvent]!({ eventId: s.event.id, after: null }, jobHelpers());
    expect((await bookingRow(t, p.bookingId)).status).toBe('confirmed');
  });
});
