import crypto from 'node:crypto';
import { sql } from 'kysely';
import { expect } from 'vitest';
import type { TestApp } from '../helpers/testApp.js';
import { factories } from '../helpers/factories.js';

/** Helpers shared by the refund and ledger tests. */
export const newKey = () => crypto.randomUUID();
export const buyer = { name: 'Aline Uwase', email: 'aline@example.test', phone: '+250788123456' };

export type Make = ReturnType<typeof factories>;

/** An organizer (given commission) with an owner, a published event and ticket types. */
export async function shop(t: TestApp, make: Make, o: { commissionBps?: number; types?: { price: number; capacity?: number; currency?: string }[] } = {}) {
  const organizer = await make.organizer({ commissionBps: o.commissionBps ?? 500 });
  const owner = await make.member({ organizerId: organizer.id, role: 'owner' });
  const event = await make.event({ organizerId: organizer.id });
  const types = [];
  for (const ty of o.types ?? [{ price: 5000 }]) {
    types.push((await make.ticketType({ eventId: event.id, price: ty.price, capacity: ty.capacity ?? 100, currency: ty.currency ?? 'RWF', maxPerOrder: 50 })).ticketType);
  }
  return { organizer, owner, event, types };
}

/** A pending booking made over HTTP (holds taken by the real allocator). */
export async function pendingBooking(t: TestApp, eventId: string, items: { ticketTypeId: string; quantity: number }[], headers: Record<string, string> = {}) {
  const res = await t.app.inject({
    method: 'POST', url: '/api/v1/bookings', headers: { 'idempotency-key': newKey(), ...headers },
    payload: { eventId, items, buyer },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; total: number; currency: string };
}

/**
 * A paid booking: booked over HTTP, confirmed through the bookings repository (held → sold), a
 * successful payment applied to it (a row, as the payment flow writes it) and its ledger posting.
 */
export async function paidBooking(
  t: TestApp,
  s: { organizer: { id: string; commission_bps: number }; event: { id: string } },
  items: { ticketTypeId: string; quantity: number }[],
  o: { provider?: string; providerRef?: string; paymentId?: string; buyerHeaders?: Record<string, string> } = {},
) {
  const b = await pendingBooking(t, s.event.id, items, o.buyerHeaders);
  const paymentId = o.paymentId ?? crypto.randomUUID();
  await t.db.transaction().execute(async (tx) => {
    const moves = await t.ctx.bookings.repo.confirmPending(tx, b.id);
    expect(moves).not.toBeNull();
    await t.ctx.bookings.repo.moveHeldToSold(tx, moves!);
    await tx.insertInto('payments').values({
      id: paymentId, booking_id: b.id, method: 'momo', provider: o.provider ?? 'momo', provider_ref: o.providerRef ?? paymentId,
      status: 'succeeded', outcome: 'applied', amount: b.total, currency: b.currency, payer_phone: buyer.phone, succeeded_at: new Date(),
    }).execute();
    await t.ctx.ledger.postPaymentApplied(tx, {
      paymentId, bookingId: b.id, organizerId: s.organizer.id, provider: o.provider ?? 'momo', amount: b.total, currency: b.currency,
      commissionBps: s.organizer.commission_bps,
    });
  });
  return { bookingId: b.id, paymentId, total: b.total, currency: b.currency };
}

/**
 * A successful payment that could NOT be applied (its booking expired and nothing was re-taken):
 * posted as unapplied and refunded automatically, in one transaction, as the payment flow does.
 * With `keepJob: false` the process_refund job is removed in that transaction (tests then run the
 * task themselves, and no other test file's worker can run it first).
 */
export async function unappliedPayment(
  t: TestApp,
  s: { organizer: { id: string }; event: { id: string } },
  items: { ticketTypeId: string; quantity: number }[],
  o: { reason?: 'late_payment' | 'duplicate_payment'; provider?: string; providerRef?: string; keepJob?: boolean } = {},
) {
  const b = await pendingBooking(t, s.event.id, items);
  const paymentId = crypto.randomUUID();
  const reason = o.reason ?? 'late_payment';
  const refundId = await t.db.transaction().execute(async (tx) => {
    await t.ctx.bookings.repo.cancelPending(b.id);
    await tx.insertInto('payments').values({
      id: paymentId, booking_id: b.id, method: 'momo', provider: o.provider ?? 'momo', provider_ref: o.providerRef ?? paymentId,
      status: 'succeeded', outcome: reason === 'late_payment' ? 'refunded_late' : 'refunded_duplicate', amount: b.total, currency: b.currency,
      payer_phone: buyer.phone, succeeded_at: new Date(),
    }).execute();
    const posting = { paymentId, bookingId: b.id, organizerId: s.organizer.id, provider: o.provider ?? 'momo', amount: b.total, currency: b.currency };
    await t.ctx.ledger.postPaymentUnapplied(tx, posting);
    const id = await t.ctx.refunds.createAutoRefund(tx, { paymentId, reason });
    if (o.keepJob === false) await sql`select graphile_worker.remove_job(${`refund:${id}`})`.execute(tx);
    return id;
  });
  return { bookingId: b.id, paymentId, refundId, total: b.total, currency: b.currency };
}

export async function ticketCounters(t: TestApp, ticketTypeId: string) {
  return t.db.selectFrom('ticket_types').select(['held', 'sold', 'capacity']).where('id', '=', ticketTypeId).executeTakeFirstOrThrow();
}

/** sold recounted from holds: confirmed and partially refunded bookings, minus refunded tickets. */
export async function recountSold(t: TestApp, ticketTypeId: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select coalesce(sum(h.quantity - h.refunded_quantity), 0)::int as n from holds h join bookings b on b.id = h.booking_id
    where h.ticket_type_id = ${ticketTypeId} and b.status in ('confirmed', 'partially_refunded', 'refunded')`.execute(t.db);
  return rows[0]!.n;
}

export async function bookingRow(t: TestApp, id: string) {
  return t.db.selectFrom('bookings').select(['status', 'refunded_amount', 'total']).where('id', '=', id).executeTakeFirstOrThrow();
}

export async function paymentRow(t: TestApp, id: string) {
  return t.db.selectFrom('payments').select(['refunded_amount', 'amount', 'outcome']).where('id', '=', id).executeTakeFirstOrThrow();
}

export async function jobFor(t: TestApp, key: string) {
  const { rows } = await sql<{ task: string; max_attempts: number; payload: unknown }>`
    select t.identifier as task, j.max_attempts, j.payload from graphile_worker._private_jobs j
    join graphile_worker._private_tasks t on t.id = j.task_id where j.key = ${key}`.execute(t.db);
  return rows[0];
}

/** A stand-in for graphile-worker's helpers when a test runs a task itself. */
export function jobHelpers(attempts = 1, maxAttempts = 8) {
  return {
    job: { attempts, max_attempts: maxAttempts },
    logger: { error: () => {}, info: () => {}, warn: () => {}, debug: () => {} },
    addJob: async () => ({}),
  } as never;
}

export async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000, label = 'condition'): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
