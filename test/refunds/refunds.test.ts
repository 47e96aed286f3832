import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../helpers/testApp.js';
import { factories } from '../helpers/factories.js';
import {
  bookingRow, jobFor, newKey, paidBooking, paymentRow, pendingBooking, recountSold, shop, ticketCounters, unappliedPayment, type Make,
} from './support.js';

let t: TestApp;
let make: Make;
beforeAll(async () => {
  t = await testApp();
  make = factories(t.db, t.ctx.tokens);
});
afterAll(async () => {
  await t.close();
});

function refund(bookingId: string, headers: Record<string, string>, payload: object = {}, key = newKey()) {
  return t.app.inject({ method: 'POST', url: `/api/v1/bookings/${bookingId}/refunds`, headers: { ...headers, 'idempotency-key': key }, payload });
}

describe('POST /bookings/{id}/refunds', () => {
  it('refunds a whole booking: tickets back on sale, booking refunded, payment and ledger updated, provider job queued; a retry replays', async () => {
    const s = await shop(t, make, { commissionBps: 500, types: [{ price: 5000, capacity: 10 }] });
    const paid = await paidBooking(t, s, [{ ticketTypeId: s.types[0]!.id, quantity: 3 }]);
    expect(await ticketCounters(t, s.types[0]!.id)).toMatchObject({ held: 0, sold: 3 });

    const key = newKey();
    const res = await refund(paid.bookingId, s.owner.auth, { note: 'Buyer cannot attend' }, key);
    expect(res.statusCode, res.body).toBe(201);
    const r = res.json();
    expect(r).toMatchObject({
      bookingId: paid.bookingId, paymentId: paid.paymentId, amount: 15_000, currency: 'RWF', reason: 'requested', status: 'pending',
      provider: 'momo', note: 'Buyer cannot attend', items: [{ ticketTypeId: s.types[0]!.id, quantity: 3 }], failureReason: null,
    });
    expect(await ticketCounters(t, s.types[0]!.id)).toMatchObject({ held: 0, sold: 0 });
    expect(await recountSold(t, s.types[0]!.id)).toBe(0);
    expect(await bookingRow(t, paid.bookingId)).toMatchObject({ status: 'refunded', refunded_amount: 15_000 });
    expect(await paymentRow(t, paid.paymentId)).toMatchObject({ refunded_amount: 15_000 });
    const audit = await t.db.selectFrom('audit_log').select(['action', 'actor_user_id', 'target_id']).where('target_id', 'in', [r.id, paid.bookingId]).execute();
    expect(audit).toEqual(expect.arrayContaining([
      { action: 'refund.requested', actor_user_id: s.owner.id, target_id: r.id },
      { action: 'booking.refunded', actor_user_id: s.owner.id, target_id: paid.bookingId },
    ]));
    expect(await jobFor(t, `refund:${r.id}`)).toMatchObject({ task: 'process_refund', max_attempts: t.config.REFUND_MAX_ATTEMPTS });
    const posting = await t.db.selectFrom('ledger_transactions').select(['kind', 'payment_id']).where('reference_id', '=', r.id).execute();
    expect(posting).toEqual([{ kind: 'refund', payment_id: paid.paymentId }]);

    const again = await refund(paid.bookingId, s.owner.auth, { note: 'Buyer cannot attend' }, key);
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json().id).toBe(r.id);
    expect(await t.db.selectFrom('refunds').select('id').where('booking_id', '=', paid.bookingId).execute()).toHaveLength(1);

    // The released tickets can be booked again.
    await pendingBooking(t, s.event.id, [{ ticketTypeId: s.types[0]!.id, quantity: 10 }]);

    const list = await t.app.inject({ url: `/api/v1/bookings/${paid.bookingId}/refunds`, headers: s.owner.auth });
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((x: { id: string }) => x.id)).toEqual([r.id]);
  });

  it('refunds per ticket: partially_refunded, then the rest; nothing left → 409 booking_not_refundable', async () => {
    const s = await shop(t, make, { types: [{ price: 1000 }, { price: 2500 }] });
    const [a, b] = [s.types[0]!, s.types[1]!];
    const paid = await paidBooking(t, s, [{ ticketTypeId: a.id, quantity: 3 }, { ticketTypeId: b.id, quantity: 2 }]);
    expect(paid.total).toBe(8000);

    const one = await refund(paid.bookingId, s.owner.auth, { items: [{ ticketTypeId: a.id, quantity: 1 }] });
    expect(one.statusCode, one.body).toBe(201);
    expect(one.json()).toMatchObject({ amount: 1000, items: [{ ticketTypeId: a.id, quantity: 1 }] });
    expect(await bookingRow(t, paid.bookingId)).toMatchObject({ status: 'partially_refunded', refunded_amount: 1000 });
    expect(await ticketCounters(t, a.id)).toMatchObject({ sold: 2 });
    expect(await ticketCounters(t, b.id)).toMatchObject({ sold: 2 });
    // The doctor's recount agrees with the counters after a partial refund (no false drift to "repair").
    expect(await t.ctx.inventory.recount([a.id, b.id])).toEqual([]);

    const two = await refund(paid.bookingId, s.owner.auth, { items: [{ ticketTypeId: b.id, quantity: 1 }, { ticketTypeId: a.id, quantity: 1 }] });
    expect(two.statusCode, two.body).toBe(201);
    expect(two.json().amount).toBe(3500);
    expect(await ticketCounters(t, a.id)).toMatchObject({ sold: 1 });
    expect(await ticketCounters(t, b.id)).toMatchObject({ sold: 1 });

    // No items: everything not yet refunded.
    const rest = await refund(paid.bookingId, s.owner.auth);
    expect(rest.statusCode, rest.body).toBe(201);
    expect(rest.json()).toMatchObject({ amount: 3500 });
    expect(rest.json().items).toEqual(expect.arrayContaining([{ ticketTypeId: a.id, quantity: 1 }, { ticketTypeId: b.id, quantity: 1 }]));
    expect(await bookingRow(t, paid.bookingId)).toMatchObject({ status: 'refunded', refunded_amount: 8000 });
    expect(await paymentRow(t, paid.paymentId)).toMatchObject({ refunded_amount: 8000 });
    for (const ty of [a, b]) {
      expect(await ticketCounters(t, ty.id)).toMatchObject({ sold: 0 });
      expect(await recountSold(t, ty.id)).toBe(0);
    }

    const none = await refund(paid.bookingId, s.owner.auth);
    expect(none.statusCode).toBe(409);
    expect(none.json()).toMatchObject({ code: 'booking_not_refundable', bookingStatus: 'refunded' });
  });

  it('refuses more tickets than remain, tickets not in the booking, and bookings that are not paid', async () => {
    const s = await shop(t, make, { types: [{ price: 1000 }, { price: 2000 }] });
    const [a, b] = [s.types[0]!, s.types[1]!];
    const paid = await paidBooking(t, s, [{ ticketTypeId: a.id, quantity: 2 }]);

    const over = await refund(paid.bookingId, s.owner.auth, { items: [{ ticketTypeId: a.id, quantity: 3 }] });
    expect(over.statusCode).toBe(409);
    expect(over.json()).toMatchObject({ code: 'refund_exceeds_remaining', items: [{ ticketTypeId: a.id, requested: 3, remaining: 2 }] });

    const notMine = await refund(paid.bookingId, s.owner.auth, { items: [{ ticketTypeId: b.id, quantity: 1 }] });
    expect(notMine.statusCode).toBe(400);
    expect(notMine.json().errors).toEqual([{ field: 'items.0.ticketTypeId', message: 'is not a ticket type of this booking' }]);

    const twice = await refund(paid.bookingId, s.owner.auth, { items: [{ ticketTypeId: a.id, quantity: 1 }, { ticketTypeId: a.id, quantity: 1 }] });
    expect(twice.statusCode).toBe(400);
    expect(twice.json().errors[0].field).toBe('items.1.ticketTypeId');

    for (const payload of [{ items: [] }, { items: [{ ticketTypeId: a.id, quantity: 0 }] }, { items: [{ ticketTypeId: 'x', quantity: 1 }] }, { note: 5 }, { amount: 100 }]) {
      const bad = await refund(paid.bookingId, s.owner.auth, payload);
      expect(bad.statusCode, JSON.stringify(payload)).toBe(400);
      expect(bad.json().code).toBe('validation_failed');
    }
    const noKey = await t.app.inject({ method: 'POST', url: `/api/v1/bookings/${paid.bookingId}/refunds`, headers: s.owner.auth, payload: {} });
    expect(noKey.json().code).toBe('idempotency_key_required');

    // Nothing moved.
    expect(await ticketCounters(t, a.id)).toMatchObject({ sold: 2 });
    expect(await bookingRow(t, paid.bookingId)).toMatchObject({ status: 'confirmed', refunded_amount: 0 });

    const pending = await pendingBooking(t, s.event.id, [{ ticketTypeId: a.id, quantity: 1 }]);
    const res = await refund(pending.id, s.owner.auth);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'booking_not_refundable', bookingStatus: 'pending' });
    expect(await ticketCounters(t, a.id)).toMatchObject({ held: 1, sold: 2 });
  });

  it('only the organizer’s owners and managers and admins refund; other tenants get 404', async () => {
    const s = await shop(t, make);
    const buyerUser = await make.user();
    const paid = await paidBooking(t, s, [{ ticketTypeId: s.types[0]!.id, quantity: 4 }], { buyerHeaders: buyerUser.auth });
    const gate = await make.member({ organizerId: s.organizer.id, role: 'gate' });
    const manager = await make.member({ organizerId: s.organizer.id, role: 'manager' });
    const stranger = await make.member();
    const admin = await make.admin();
    const one = { items: [{ ticketTypeId: s.types[0]!.id, quantity: 1 }] };

    expect((await refund(paid.bookingId, {}, one)).statusCode).toBe(401);
    expect((await refund(paid.bookingId, gate.auth, one)).statusCode).toBe(403);
    const byBuyer = await refund(paid.bookingId, buyerUser.auth, one);
    expect(byBuyer.statusCode).toBe(403);
    const byStranger = await refund(paid.bookingId, stranger.auth, one);
    expect(byStranger.statusCode).toBe(404);
    expect(byStranger.json().code).toBe('booking_not_found');
    expect((await refund(crypto.randomUUID(), admin.auth, one)).statusCode).toBe(404);
    expect(await bookingRow(t, paid.bookingId)).toMatchObject({ status: 'confirmed' });

    expect((await refund(paid.bookingId, manager.auth, one)).statusCode).toBe(201);
    expect((await refund(paid.bookingId, admin.auth, one)).statusCode).toBe(201);

    // Reading: the buyer and any member see them; a stranger does not.
    for (const who of [buyerUser, gate, admin]) {
      const list = await t.app.inject({ url: `/api/v1/bookings/${paid.bookingId}/refunds`, headers: who.auth });
      expect(list.statusCode).toBe(200);
      expect(list.json().items).toHaveLength(2);
    }
    expect((await t.app.inject({ url: `/api/v1/bookings/${paid.bookingId}/refunds`, headers: stranger.auth })).statusCode).toBe(404);
    expect((await t.app.inject({ url: `/api/v1/bookings/not-a-uuid/refunds`, headers: admin.auth })).statusCode).toBe(400);
  });

  it('two full refunds at once: exactly one succeeds; parallel per-ticket refunds never exceed the tickets', async () => {
    const s = await shop(t, make, { types: [{ price: 3000, capacity: 50 }] });
    const tt = s.types[0]!.id;
    const full = await paidBooking(t, s, [{ ticketTypeId: tt, quantity: 4 }]);
    const results = await Promise.all(Array.from({ length: 8 }, () => refund(full.bookingId, s.owner.auth)));
    const codes = results.map((r) => r.statusCode).sort();
    expect(codes.filter((c) => c === 201)).toHaveLength(1);
    expect(codes.filter((c) => c !== 201).every((c) => c === 409)).toBe(true);
    expect(await paymentRow(t, full.paymentId)).toMatchObject({ refunded_amount: 12_000 });

    const parts = await paidBooking(t, s, [{ ticketTypeId: tt, quantity: 5 }]);
    const one = { items: [{ ticketTypeId: tt, quantity: 1 }] };
    const partial = await Promise.all(Array.from({ length: 9 }, () => refund(parts.bookingId, s.owner.auth, one)));
    expect(partial.filter((r) => r.statusCode === 201)).toHaveLength(5);
    for (const r of partial.filter((x) => x.statusCode !== 201)) {
      expect(r.statusCode).toBe(409);
      expect(['refund_exceeds_remaining', 'booking_not_refundable']).toContain(r.json().code);
    }
    expect(await bookingRow(t, parts.bookingId)).toMatchObject({ status: 'refunded', refunded_amount: 15_000 });
    expect(await paymentRow(t, parts.paymentId)).toMatchObject({ refunded_amount: 15_000 });
    expect(await ticketCounters(t, tt)).toMatchObject({ sold: 0 });
    expect(await recountSold(t, tt)).toBe(0);
    const refunds = await t.db.selectFrom('refunds').select(['amount']).where('booking_id', 'in', [full.bookingId, parts.bookingId]).execute();
    expect(refunds.map((r) => r.amount).reduce((x, y) => x + y, 0)).toBe(27_000);
  });
});

describe('automatic refunds of unapplied payments', () => {
  it('refunds the whole payment once per payment, moves no inventory, and posts to buyer_refunds_payable', async () => {
    const s = await shop(t, make, { types: [{ price: 4000, capacity: 10 }] });
    const tt = s.types[0]!.id;
    const u = await unappliedPayment(t, s, [{ ticketTypeId: tt, quantity: 2 }], { keepJob: true });
    const before = await ticketCounters(t, tt);
    // Again, with either reason: the same refund.
    const again = await t.db.transaction().execute((tx) => t.ctx.refunds.createAutoRefund(tx, { paymentId: u.paymentId, reason: 'duplicate_payment' }));
    expect(again).toBe(u.refundId);
    const rows = await t.db.selectFrom('refunds').selectAll().where('payment_id', '=', u.paymentId).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ amount: 8000, reason: 'late_payment', status: 'pending', items: [] });
    expect(await paymentRow(t, u.paymentId)).toMatchObject({ refunded_amount: 8000, outcome: 'refunded_late' });
    expect(await ticketCounters(t, tt)).toEqual(before);
    expect(await bookingRow(t, u.bookingId)).toMatchObject({ status: 'cancelled', refunded_amount: 0 });
    expect(await jobFor(t, `refund:${u.refundId}`)).toMatchObject({ task: 'process_refund' });

    const lines = await t.db
      .selectFrom('ledger_entries as e').innerJoin('ledger_transactions as l', 'l.id', 'e.transaction_id')
      .select(['l.kind', 'e.account', 'e.debit', 'e.credit']).where('l.payment_id', '=', u.paymentId).orderBy('l.kind').orderBy('e.account').execute();
    expect(lines).toEqual([
      { kind: 'payment_unapplied', account: 'buyer_refunds_payable', debit: 0, credit: 8000 },
      { kind: 'payment_unapplied', account: 'provider_clearing:momo', debit: 8000, credit: 0 },
      { kind: 'refund', account: 'buyer_refunds_payable', debit: 8000, credit: 0 },
      { kind: 'refund', account: 'provider_clearing:momo', debit: 0, credit: 8000 },
    ]);
  });

  it('will not auto-refund an applied payment (the booking is refunded instead)', async () => {
    const s = await shop(t, make);
    const paid = await paidBooking(t, s, [{ ticketTypeId: s.types[0]!.id, quantity: 1 }]);
    await expect(
      t.db.transaction().execute((tx) => t.ctx.refunds.createAutoRefund(tx, { paymentId: paid.paymentId, reason: 'duplicate_payment' })),
    ).rejects.toMatchObject({ code: 'payment_not_refundable' });
    expect(await paymentRow(t, paid.paymentId)).toMatchObject({ refunded_amount: 0 });
  });
});
