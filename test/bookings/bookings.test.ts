import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../helpers/testApp.js';
import { factories } from '../helpers/factories.js';
import { bookingBody, buyer, counters, newKey } from './support.js';

let t: TestApp;
let make: ReturnType<typeof factories>;
beforeAll(async () => {
  t = await testApp();
  make = factories(t.db, t.ctx.tokens);
});
afterAll(async () => {
  await t.close();
});

async function post(body: unknown, headers: Record<string, string> = {}) {
  return t.app.inject({ method: 'POST', url: '/api/v1/bookings', headers: { 'idempotency-key': newKey(), ...headers }, payload: body as object });
}

describe('POST /api/v1/bookings', () => {
  it('holds the tickets for a guest: 201 pending with total, currency, expiresAt and an access token', async () => {
    const { ticketType, event } = await make.ticketType({ capacity: 10, price: 5000, currency: 'RWF' });
    await t.db.updateTable('events').set({ hold_minutes: 7 }).where('id', '=', event.id).execute();
    const before = Date.now();
    const res = await post(bookingBody(event.id, [{ ticketTypeId: ticketType.id, quantity: 3 }]));
    expect(res.statusCode).toBe(201);
    const b = res.json();
    expect(b).toMatchObject({ status: 'pending', total: 15000, currency: 'RWF', eventId: event.id });
    expect(b.items).toEqual([{ ticketTypeId: ticketType.id, name: ticketType.name, quantity: 3, unitPrice: 5000, subtotal: 15000 }]);
    expect(b.buyer.phone).toBe('+250788123456');
    const ttl = new Date(b.expiresAt).getTime() - before;
    expect(ttl).toBeGreaterThan(6.5 * 60_000);
    expect(ttl).toBeLessThan(7.5 * 60_000);
    expect(typeof b.bookingAccessToken).toBe('string');
    expect(res.headers.location).toBe(`/api/v1/bookings/${b.id}`);
    const c = await counters(t.db, ticketType.id);
    expect(c).toMatchObject({ held: 3, recount_held: 3 });
    // Only the hash is stored.
    const row = await t.db.selectFrom('bookings').select('access_token_hash').where('id', '=', b.id).executeTakeFirstOrThrow();
    expect(row.access_token_hash).not.toContain(b.bookingAccessToken);

    // The guest reads it back with the token, as header or query; without it, no.
    const byHeader = await t.app.inject({ url: `/api/v1/bookings/${b.id}`, headers: { 'x-booking-token': b.bookingAccessToken } });
    expect(byHeader.statusCode).toBe(200);
    expect(byHeader.json()).toMatchObject({ id: b.id, total: 15000, status: 'pending' });
    expect(byHeader.json().bookingAccessToken).toBeUndefined();
    const byQuery = await t.app.inject({ url: `/api/v1/bookings/${b.id}?token=${encodeURIComponent(b.bookingAccessToken)}` });
    expect(byQuery.statusCode).toBe(200);
    const wrong = await t.app.inject({ url: `/api/v1/bookings/${b.id}`, headers: { 'x-booking-token': 'nope' } });
    expect(wrong.statusCode).toBe(404);
    const anonymous = await t.app.inject({ url: `/api/v1/bookings/${b.id}` });
    expect(anonymous.statusCode).toBe(401);
  });

  it('links a signed-in buyer, lists their bookings, and lets organizer members read but strangers not', async () => {
    const owner = await make.member({ role: 'owner' });
    const gate = await make.member({ organizerId: owner.organizerId, role: 'gate' });
    const { ticketType, event } = await make.ticketType({ organizerId: owner.organizerId, capacity: 10 });
    const user = await make.user();
    const res = await post(bookingBody(event.id, [{ ticketTypeId: ticketType.id, quantity: 1 }]), user.auth);
    expect(res.statusCode).toBe(201);
    const b = res.json();
    expect(b.bookingAccessToken).toBeUndefined();
    const second = await post(bookingBody(event.id, [{ ticketTypeId: ticketType.id, quantity: 2 }]), user.auth);

    const list = await t.app.inject({ url: '/api/v1/bookings?limit=1', headers: user.auth });
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((x: { id: string }) => x.id)).toEqual([second.json().id]);
    const page2 = await t.app.inject({ url: `/api/v1/bookings?limit=1&cursor=${list.json().nextCursor}`, headers: user.auth });
    expect(page2.json().items.map((x: { id: string }) => x.id)).toEqual([b.id]);
    expect(page2.json().nextCursor).toBeNull();
    expect((await t.app.inject({ url: '/api/v1/bookings' })).statusCode).toBe(401);

    expect((await t.app.inject({ url: `/api/v1/bookings/${b.id}`, headers: user.auth })).statusCode).toBe(200);
    expect((await t.app.inject({ url: `/api/v1/bookings/${b.id}`, headers: owner.auth })).statusCode).toBe(200);
    expect((await t.app.inject({ url: `/api/v1/bookings/${b.id}`, headers: gate.auth })).statusCode).toBe(200);
    const stranger = await make.user();
    expect((await t.app.inject({ url: `/api/v1/bookings/${b.id}`, headers: stranger.auth })).json().code).toBe('booking_not_found');
    // A gate steward may read but not cancel.
    const gateCancel = await t.app.inject({ method: 'PATCH', url: `/api/v1/bookings/${b.id}/cancel`, headers: gate.auth });
    expect(gateCancel.statusCode).toBe(403);
  });

  it('validates the buyer phone (E.164), quantities and order limits with field errors', async () => {
    const { ticketType, event } = await make.ticketType({ capacity: 10, minPerOrder: 2, maxPerOrder: 4 });
    const item = (quantity: number) => [{ ticketTypeId: ticketType.id, quantity }];
    const badPhone = await post({ eventId: event.id, items: item(2), buyer: { ...buyer, phone: 'call me maybe' } });
    expect(badPhone.statusCode).toBe(400);
    expect(badPhone.json().errors).toContainEqual(expect.objectContaining({ field: 'buyer.phone' }));
    const shortPhone = await post({ eventId: event.id, items: item(2), buyer: { ...buyer, phone: '+250 12' } });
    expect(shortPhone.statusCode).toBe(400);
    const zero = await post(bookingBody(event.id, item(0)));
    expect(zero.statusCode).toBe(400);
    expect(zero.json().errors[0].field).toBe('items.0.quantity');
    const tooFew = await post(bookingBody(event.id, item(1)));
    expect(tooFew.statusCode).toBe(400);
    expect(tooFew.json().errors).toEqual([{ field: 'items.0.quantity', message: expect.stringContaining('at least 2') }]);
    const tooMany = await post(bookingBody(event.id, item(5)));
    expect(tooMany.json().errors).toEqual([{ field: 'items.0.quantity', message: expect.stringContaining('at most 4') }]);
    const dup = await post(bookingBody(event.id, [...item(2), ...item(2)]));
    expect(dup.statusCode).toBe(400);
    const noItems = await post(bookingBody(event.id, []));
    expect(noItems.statusCode).toBe(400);
    const extra = await post({ ...bookingBody(event.id, item(2)), price: 1 });
    expect(extra.statusCode).toBe(400);
    const stringQty = await post(bookingBody(event.id, [{ ticketTypeId: ticketType.id, quantity: '2' as unknown as number }]));
    expect(stringQty.statusCode).toBe(400);
    expect((await counters(t.db, ticketType.id)).held).toBe(0);
  });

  it('refuses a ticket type of another event, unpublished and cancelled events, and closed sales', async () => {
    const { ticketType, event } = await make.ticketType({ capacity: 10 });
    const other = await make.ticketType({ capacity: 10 });
    const foreign = await post(bookingBody(event.id, [{ ticketTypeId: other.ticketType.id, quantity: 1 }]));
    expect(foreign.statusCode).toBe(400);
    expect(foreign.json().errors[0]).toMatchObject({ field: 'items.0.ticketTypeId' });

    const draft = await make.ticketType({ eventStatus: 'draft' });
    const d = await post(bookingBody(draft.event.id, [{ ticketTypeId: draft.ticketType.id, quantity: 1 }]));
    expect(d.statusCode).toBe(404);
    expect(d.json().code).toBe('event_not_found');
    const missing = await post(bookingBody('0190a0a0-0000-7000-8000-000000000000', [{ ticketTypeId: ticketType.id, quantity: 1 }]));
    expect(missing.statusCode).toBe(404);

    const cancelled = await make.ticketType({ eventStatus: 'cancelled' });
    const c = await post(bookingBody(cancelled.event.id, [{ ticketTypeId: cancelled.ticketType.id, quantity: 1 }]));
    expect(c.statusCode).toBe(409);
    expect(c.json().code).toBe('event_cancelled');

    const early = await make.ticketType({ salesStart: new Date(Date.now() + 3600_000) });
    const e = await post(bookingBody(early.event.id, [{ ticketTypeId: early.ticketType.id, quantity: 1 }]));
    expect(e.statusCode).toBe(409);
    expect(e.json().code).toBe('sales_closed');
    const late = await make.ticketType({ salesStart: new Date(Date.now() - 7200_000), salesEnd: new Date(Date.now() - 3600_000) });
    const l = await post(bookingBody(late.event.id, [{ ticketTypeId: late.ticketType.id, quantity: 1 }]));
    expect(l.json().code).toBe('sales_closed');
  });

  it('answers sold_out with what remains per ticket type', async () => {
    const { ticketType, event } = await make.ticketType({ capacity: 5 });
    expect((await post(bookingBody(event.id, [{ ticketTypeId: ticketType.id, quantity: 4 }]))).statusCode).toBe(201);
    const res = await post(bookingBody(event.id, [{ ticketTypeId: ticketType.id, quantity: 2 }]));
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'sold_out', remaining: [{ ticketTypeId: ticketType.id, remaining: 1 }] });
    expect((await post(bookingBody(event.id, [{ ticketTypeId: ticketType.id, quantity: 1 }]))).statusCode).toBe(201);
    expect(await counters(t.db, ticketType.id)).toMatchObject({ held: 5, recount_held: 5 });
  });

  it('(5) multi-item bookings are all-or-nothing when one item sells out', async () => {
    const { ticketType: a, event } = await make.ticketType({ capacity: 10, price: 1000 });
    const { ticketType: b } = await make.ticketType({ eventId: event.id, capacity: 3, price: 2500 });
    const ok = await post(bookingBody(event.id, [{ ticketTypeId: a.id, quantity: 2 }, { ticketTypeId: b.id, quantity: 2 }]));
    expect(ok.statusCode).toBe(201);
    expect(ok.json().total).toBe(2 * 1000 + 2 * 2500);
    expect(ok.json().items).toHaveLength(2);
    // b has 1 left: asking for 2 of b (and 5 of a, which fit) takes nothing at all.
    const res = await post(bookingBody(event.id, [{ ticketTypeId: a.id, quantity: 5 }, { ticketTypeId: b.id, quantity: 2 }]));
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('sold_out');
    expect(res.json().remaining).toEqual(
      expect.arrayContaining([{ ticketTypeId: a.id, remaining: 8 }, { ticketTypeId: b.id, remaining: 1 }]),
    );
    expect(await counters(t.db, a.id)).toMatchObject({ held: 2, recount_held: 2 });
    expect(await counters(t.db, b.id)).toMatchObject({ held: 2, recount_held: 2 });

    // Concurrently: 40 two-item bookings racing for 3 + 3 seats → exactly 3 succeed, both counters agree.
    const { ticketType: x, event: ev } = await make.ticketType({ capacity: 3 });
    const { ticketType: y } = await make.ticketType({ eventId: ev.id, capacity: 30 });
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        post(bookingBody(ev.id, i % 2 ? [{ ticketTypeId: x.id, quantity: 1 }, { ticketTypeId: y.id, quantity: 1 }] : [{ ticketTypeId: y.id, quantity: 1 }, { ticketTypeId: x.id, quantity: 1 }])),
      ),
    );
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(3);
    expect(results.filter((r) => r.statusCode === 409).every((r) => r.json().code === 'sold_out')).toBe(true);
    expect(await counters(t.db, x.id)).toMatchObject({ held: 3, recount_held: 3 });
    expect(await counters(t.db, y.id)).toMatchObject({ held: 3, recount_held: 3 });
  });
});

describe('PATCH /api/v1/bookings/{id}/cancel', () => {
  it('cancels a pending booking and puts its tickets back on sale at once; a second cancel is 409', async () => {
    const { ticketType, event } = await make.ticketType({ capacity: 2 });
    const res = await post(bookingBody(event.id, [{ ticketTypeId: ticketType.id, quantity: 2 }]));
    const b = res.json();
    expect((await post(bookingBody(event.id, [{ ticketTypeId: ticketType.id, quantity: 1 }]))).json().code).toBe('sold_out');
    const cancel = await t.app.inject({ method: 'PATCH', url: `/api/v1/bookings/${b.id}/cancel`, headers: { 'x-booking-token': b.bookingAccessToken } });
    expect(cancel.statusCode).toBe(200);
    expect(cancel.json()).toMatchObject({ id: b.id, status: 'cancelled' });
    expect(cancel.json().cancelledAt).not.toBeNull();
    expect(await counters(t.db, ticketType.id)).toMatchObject({ held: 0, recount_held: 0 });
    expect((await post(bookingBody(event.id, [{ ticketTypeId: ticketType.id, quantity: 2 }]))).statusCode).toBe(201);
    const again = await t.app.inject({ method: 'PATCH', url: `/api/v1/bookings/${b.id}/cancel`, headers: { 'x-booking-token': b.bookingAccessToken } });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'booking_not_pending', bookingStatus: 'cancelled' });
    const stranger = await make.user();
    const s = await t.app.inject({ method: 'PATCH', url: `/api/v1/bookings/${b.id}/cancel`, headers: stranger.auth });
    expect(s.statusCode).toBe(404);
  });
});

describe('GET /api/v1/events/{id}/availability', () => {
  it('shows what remains per public ticket type, and 404 for an unpublished event', async () => {
    const { ticketType, event } = await make.ticketType({ capacity: 10 });
    await post(bookingBody(event.id, [{ ticketTypeId: ticketType.id, quantity: 4 }]));
    const res = await t.app.inject({ url: `/api/v1/events/${event.id}/availability` });
    expect(res.statusCode).toBe(200);
    expect(res.json().ticketTypes).toEqual([expect.objectContaining({ ticketTypeId: ticketType.id, capacity: 10, remaining: 6, status: 'on_sale' })]);
    const draft = await make.ticketType({ eventStatus: 'draft' });
    expect((await t.app.inject({ url: `/api/v1/events/${draft.event.id}/availability` })).statusCode).toBe(404);
    expect((await t.app.inject({ url: `/api/v1/events/not-a-uuid/availability` })).statusCode).toBe(400);
  });
});
