import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { testApp, type TestApp } from '../helpers/testApp.js';
import { api, catalog, DAY } from './catalog.js';

let t: TestApp;
let c: ReturnType<typeof catalog>;
beforeAll(async () => {
  t = await testApp();
  c = catalog(t);
});
afterAll(async () => {
  await t.close();
});

const patch = (id: string, headers: Record<string, string>, payload: object) =>
  t.app.inject({ method: 'PATCH', url: `${api}/ticket-types/${id}`, headers, payload });

describe('ticket types', () => {
  it('creates ticket types with defaults and the currency minor unit', async () => {
    const owner = await c.make.member();
    const event = await c.event(owner);
    const tt = await c.ticketType(owner, event.id, { name: 'VIP', price: 30_000, currency: 'rwf', capacity: 6000 });
    expect(tt).toMatchObject({
      eventId: event.id,
      name: 'VIP',
      price: 30_000,
      currency: 'RWF',
      minorUnit: 0,
      capacity: 6000,
      remaining: 6000,
      held: 0,
      sold: 0,
      minPerOrder: 1,
      maxPerOrder: 10,
      visibility: 'public',
      salesStart: null,
      salesEnd: null,
      salesStatus: 'on_sale',
    });
    const other = await c.event(owner);
    const usd = await c.ticketType(owner, other.id, { price: 2500, currency: 'USD' });
    expect(usd.minorUnit).toBe(2);
  });

  it('reports the sales window in salesStatus', async () => {
    const owner = await c.make.member();
    const event = await c.event(owner);
    const soon = await c.ticketType(owner, event.id, { salesStart: new Date(Date.now() + DAY).toISOString() });
    expect(soon.salesStatus).toBe('not_started');
    const over = await c.ticketType(owner, event.id, {
      salesStart: new Date(Date.now() - 2 * DAY).toISOString(),
      salesEnd: new Date(Date.now() - DAY).toISOString(),
    });
    expect(over.salesStatus).toBe('ended');
    const none = await c.ticketType(owner, event.id, { capacity: 0 });
    expect(none.salesStatus).toBe('sold_out');
  });

  it('keeps one currency per event', async () => {
    const owner = await c.make.member();
    const event = await c.event(owner);
    const rwf = await c.ticketType(owner, event.id, { currency: 'RWF' });
    const usd = await t.app.inject({
      method: 'POST',
      url: `${api}/events/${event.id}/ticket-types`,
      headers: owner.auth,
      payload: { name: 'Foreigners', price: 2000, currency: 'USD', capacity: 10 },
    });
    expect(usd.statusCode).toBe(409);
    expect(usd.json()).toMatchObject({ code: 'currency_mismatch', eventCurrency: 'RWF', requested: 'USD' });
    // The only ticket type may switch currency; a second one pins it.
    const switched = await patch(rwf.id, owner.auth, { currency: 'UGX', price: 18_000 });
    expect(switched.statusCode).toBe(200);
    expect(switched.json().currency).toBe('UGX');
    const second = await c.ticketType(owner, event.id, { currency: 'UGX' });
    const back = await patch(second.id, owner.auth, { currency: 'RWF' });
    expect(back.statusCode).toBe(409);
    expect(back.json().code).toBe('currency_mismatch');
  });

  it('keeps one currency when ticket types in different currencies are added at the same moment', async () => {
    const owner = await c.make.member();
    const event = await c.event(owner);
    const currencies = ['RWF', 'USD', 'UGX', 'KES', 'RWF', 'USD'];
    const results = await Promise.all(
      currencies.map((currency) =>
        t.app.inject({
          method: 'POST',
          url: `${api}/events/${event.id}/ticket-types`,
          headers: owner.auth,
          payload: { name: `T ${currency}`, price: 100, currency, capacity: 1 },
        }),
      ),
    );
    for (const r of results) expect([201, 409]).toContain(r.statusCode);
    const stored = await t.db.selectFrom('ticket_types').select('currency').distinct().where('event_id', '=', event.id).execute();
    expect(stored).toHaveLength(1);
  });

  it('never lets capacity drop below held + sold', async () => {
    const owner = await c.make.member();
    const { ticketType } = await c.published(owner);
    await t.db.updateTable('ticket_types').set({ held: 10, sold: 30 }).where('id', '=', ticketType.id).execute();
    const below = await patch(ticketType.id, owner.auth, { capacity: 39 });
    expect(below.statusCode).toBe(409);
    expect(below.json()).toMatchObject({ code: 'capacity_below_sold', held: 10, sold: 30, minimum: 40 });
    const exact = await patch(ticketType.id, owner.auth, { capacity: 40 });
    expect(exact.statusCode).toBe(200);
    expect(exact.json()).toMatchObject({ capacity: 40, remaining: 0, salesStatus: 'sold_out' });
  });

  it('guards capacity in the database while sales race the change', async () => {
    const owner = await c.make.member();
    const { ticketType } = await c.published(owner);
    await t.db.updateTable('ticket_types').set({ capacity: 100, sold: 40 }).where('id', '=', ticketType.id).execute();
    // Concurrent "sales" (guarded increments, as the allocator does) against capacity cuts.
    const sales = Array.from({ length: 30 }, () =>
      sql`update ticket_types set sold = sold + 1 where id = ${ticketType.id} and held + sold + 1 <= capacity`.execute(t.db),
    );
    const cuts = [45, 50, 55, 60, 65, 70].map((capacity) => patch(ticketType.id, owner.auth, { capacity }));
    const results = await Promise.all([...sales, ...cuts]);
    const cutResults = results.slice(sales.length) as Awaited<(typeof cuts)[number]>[];
    for (const r of cutResults) {
      expect([200, 409]).toContain(r.statusCode);
      if (r.statusCode === 409) expect(r.json().code).toBe('capacity_below_sold');
    }
    const row = await t.db.selectFrom('ticket_types').selectAll().where('id', '=', ticketType.id).executeTakeFirstOrThrow();
    expect(row.held + row.sold).toBeLessThanOrEqual(row.capacity);
  });

  it('locks price and currency after the first hold or sale', async () => {
    const owner = await c.make.member();
    const { ticketType } = await c.published(owner);
    const before = await patch(ticketType.id, owner.auth, { price: 6000 });
    expect(before.statusCode).toBe(200);
    await t.db.updateTable('ticket_types').set({ held: 1 }).where('id', '=', ticketType.id).execute();
    const held = await patch(ticketType.id, owner.auth, { price: 7000 });
    expect(held.statusCode).toBe(409);
    expect(held.json().code).toBe('price_locked');
    await t.db.updateTable('ticket_types').set({ held: 0, sold: 1 }).where('id', '=', ticketType.id).execute();
    const currency = await patch(ticketType.id, owner.auth, { currency: 'UGX' });
    expect(currency.statusCode).toBe(409);
    expect(currency.json().code).toBe('price_locked');
    // Same price is not a change; other fields stay editable.
    const same = await patch(ticketType.id, owner.auth, { price: 6000, name: 'Regular (early bird)', capacity: 200 });
    expect(same.statusCode, same.body).toBe(200);
    expect(same.json()).toMatchObject({ price: 6000, name: 'Regular (early bird)', capacity: 200 });
  });

  it('checks sales windows and order limits against the stored values', async () => {
    const owner = await c.make.member();
    const event = await c.event(owner);
    const start = new Date(Date.now() + DAY).toISOString();
    const tt = await c.ticketType(owner, event.id, { salesStart: start, minPerOrder: 2, maxPerOrder: 4 });
    const endBefore = await patch(tt.id, owner.auth, { salesEnd: new Date(Date.now() + DAY / 2).toISOString() });
    expect(endBefore.statusCode).toBe(400);
    expect(endBefore.json().errors[0].field).toBe('salesEnd');
    const maxBelow = await patch(tt.id, owner.auth, { maxPerOrder: 1 });
    expect(maxBelow.statusCode).toBe(400);
    expect(maxBelow.json().errors[0].field).toBe('maxPerOrder');
    const clear = await patch(tt.id, owner.auth, { salesStart: null });
    expect(clear.json().salesStart).toBeNull();
  });
});
