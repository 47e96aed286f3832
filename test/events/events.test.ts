import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

describe('venues', () => {
  it('lets owners and managers create, list, read and update venues', async () => {
    const manager = await c.make.member({ role: 'manager' });
    const venue = await c.venue(manager, { name: '  Amahoro Stadium ', country: 'rw', timezone: 'africa/kigali', capacity: 45_000 });
    expect(venue).toMatchObject({ organizerId: manager.organizerId, name: 'Amahoro Stadium', country: 'RW', timezone: 'Africa/Kigali', capacity: 45_000 });
    const list = await t.app.inject({ url: `${api}/organizers/${manager.organizerId}/venues`, headers: manager.auth });
    expect(list.json().items.map((v: { id: string }) => v.id)).toEqual([venue.id]);
    const got = await t.app.inject({ url: `${api}/venues/${venue.id}`, headers: manager.auth });
    expect(got.json()).toEqual(venue);
    const patched = await t.app.inject({ method: 'PATCH', url: `${api}/venues/${venue.id}`, headers: manager.auth, payload: { capacity: 44_000 } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json().capacity).toBe(44_000);
  });

  it('rejects unknown countries and time zones with field errors', async () => {
    const owner = await c.make.member();
    const res = await t.app.inject({
      method: 'POST',
      url: `${api}/organizers/${owner.organizerId}/venues`,
      headers: owner.auth,
      payload: { name: 'X', city: 'Kigali', country: 'ZZ', timezone: 'Africa/Atlantis', capacity: 10 },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors.map((e: { field: string }) => e.field).sort()).toEqual(['country', 'timezone']);
  });
});

describe('events', () => {
  it('creates a draft with the venue time zone by default and shows it only to members', async () => {
    const owner = await c.make.member();
    const venue = await c.venue(owner, { timezone: 'Africa/Kampala', city: 'Kampala', country: 'UG' });
    const event = await c.event(owner, { venueId: venue.id, description: 'An evening of music' });
    expect(event).toMatchObject({ status: 'draft', timezone: 'Africa/Kampala', holdMinutes: 15, venue: { id: venue.id, city: 'Kampala' }, publishedAt: null });
    const explicit = await c.event(owner, { venueId: venue.id, timezone: 'UTC', holdMinutes: 30 });
    expect(explicit).toMatchObject({ timezone: 'UTC', holdMinutes: 30 });

    const anon = await t.app.inject({ url: `${api}/events/${event.id}` });
    expect(anon.statusCode).toBe(404);
    const gate = await c.make.member({ organizerId: owner.organizerId, role: 'gate' });
    const asGate = await t.app.inject({ url: `${api}/events/${event.id}`, headers: gate.auth });
    expect(asGate.statusCode).toBe(200);
    expect(asGate.json().status).toBe('draft');
    const listed = await t.app.inject({ url: `${api}/organizers/${owner.organizerId}/events?status=draft`, headers: gate.auth });
    expect(listed.json().items.map((e: { id: string }) => e.id).sort()).toEqual([event.id, explicit.id].sort());
  });

  it('rejects an end before the start, on create and on update', async () => {
    const owner = await c.make.member();
    const venue = await c.venue(owner);
    const startsAt = new Date(Date.now() + 10 * DAY).toISOString();
    const bad = await t.app.inject({
      method: 'POST',
      url: `${api}/organizers/${owner.organizerId}/events`,
      headers: owner.auth,
      payload: { name: 'Backwards', venueId: venue.id, startsAt, endsAt: startsAt },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors).toEqual([{ field: 'endsAt', message: 'must be after startsAt' }]);

    const event = await c.event(owner, { venueId: venue.id, startsAt });
    const later = new Date(Date.now() + 20 * DAY).toISOString();
    const moved = await t.app.inject({ method: 'PATCH', url: `${api}/events/${event.id}`, headers: owner.auth, payload: { startsAt: later } });
    expect(moved.statusCode).toBe(400);
    expect(moved.json().errors[0].field).toBe('endsAt');
  });

  it('refuses a venue of another organizer', async () => {
    const owner = await c.make.member();
    const other = await c.make.venue();
    const res = await t.app.inject({
      method: 'POST',
      url: `${api}/organizers/${owner.organizerId}/events`,
      headers: owner.auth,
      payload: { name: 'X', venueId: other.id, startsAt: new Date(Date.now() + DAY).toISOString(), endsAt: new Date(Date.now() + 2 * DAY).toISOString() },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].field).toBe('venueId');
    const event = await c.event(owner);
    const patch = await t.app.inject({ method: 'PATCH', url: `${api}/events/${event.id}`, headers: owner.auth, payload: { venueId: other.id } });
    expect(patch.statusCode).toBe(400);
    expect(patch.json().errors[0].field).toBe('venueId');
  });

  it('publishes only with a ticket type, then completes', async () => {
    const owner = await c.make.member();
    const event = await c.event(owner);
    const early = await t.app.inject({ method: 'POST', url: `${api}/events/${event.id}/publish`, headers: owner.auth });
    expect(early.statusCode).toBe(409);
    expect(early.json().code).toBe('event_has_no_ticket_types');
    await c.ticketType(owner, event.id);
    const published = await t.app.inject({ method: 'POST', url: `${api}/events/${event.id}/publish`, headers: owner.auth });
    expect(published.statusCode).toBe(200);
    expect(published.json().status).toBe('published');
    expect(published.json().publishedAt).not.toBeNull();
    const twice = await t.app.inject({ method: 'POST', url: `${api}/events/${event.id}/publish`, headers: owner.auth });
    expect(twice.statusCode).toBe(409);
    expect(twice.json()).toMatchObject({ code: 'invalid_status_transition', from: 'published', to: 'published' });
    const done = await t.app.inject({ method: 'POST', url: `${api}/events/${event.id}/complete`, headers: owner.auth });
    expect(done.json().status).toBe('completed');
    const edit = await t.app.inject({ method: 'PATCH', url: `${api}/events/${event.id}`, headers: owner.auth, payload: { name: 'Again' } });
    expect(edit.statusCode).toBe(409);
    expect(edit.json().code).toBe('event_completed');
    const cancel = await t.app.inject({ method: 'POST', url: `${api}/events/${event.id}/cancel`, headers: owner.auth });
    expect(cancel.statusCode).toBe(409);
    expect(cancel.json().code).toBe('invalid_status_transition');
  });

  it('allows only the documented status transitions', async () => {
    const owner = await c.make.member();
    const draft = await c.event(owner);
    const complete = await t.app.inject({ method: 'POST', url: `${api}/events/${draft.id}/complete`, headers: owner.auth });
    expect(complete.statusCode).toBe(409);
    expect(complete.json()).toMatchObject({ code: 'invalid_status_transition', from: 'draft', to: 'completed' });
    const cancelDraft = await t.app.inject({ method: 'POST', url: `${api}/events/${draft.id}/cancel`, headers: owner.auth });
    expect(cancelDraft.json()).toMatchObject({ status: 'cancelled' });
    expect(cancelDraft.json().cancelledAt).not.toBeNull();
    const republish = await t.app.inject({ method: 'POST', url: `${api}/events/${draft.id}/publish`, headers: owner.auth });
    expect(republish.json().code).toBe('invalid_status_transition');

    const { event } = await c.published(owner);
    const cancelPublished = await t.app.inject({ method: 'POST', url: `${api}/events/${event.id}/cancel`, headers: owner.auth });
    expect(cancelPublished.json().status).toBe('cancelled');
    // Cancelled events stay visible to the public (buyers need to know), but frozen.
    const anon = await t.app.inject({ url: `${api}/events/${event.id}` });
    expect(anon.json().status).toBe('cancelled');
    for (const [method, url, payload] of [
      ['PATCH', `/events/${event.id}`, { description: 'new' }],
      ['POST', `/events/${event.id}/ticket-types`, { name: 'Late', price: 1, currency: 'RWF', capacity: 1 }],
      ['PATCH', `/ticket-types/${anon.json().ticketTypes[0].id}`, { name: 'Renamed' }],
    ] as const) {
      const res = await t.app.inject({ method, url: `${api}${url}`, headers: owner.auth, payload });
      expect(res.statusCode, `${method} ${url}`).toBe(409);
      expect(res.json().code).toBe('event_cancelled');
    }
  });

  it('lets a gate member read but not manage (403)', async () => {
    const owner = await c.make.member();
    const gate = await c.make.member({ organizerId: owner.organizerId, role: 'gate' });
    const event = await c.event(owner);
    const venueId = event.venueId;
    const attempts = [
      { method: 'POST' as const, url: `/organizers/${owner.organizerId}/venues`, payload: { name: 'V', city: 'Kigali', country: 'RW', timezone: 'UTC', capacity: 1 } },
      { method: 'PATCH' as const, url: `/venues/${venueId}`, payload: { name: 'V2' } },
      { method: 'POST' as const, url: `/organizers/${owner.organizerId}/events`, payload: { name: 'E', venueId, startsAt: event.startsAt, endsAt: event.endsAt } },
      { method: 'PATCH' as const, url: `/events/${event.id}`, payload: { name: 'E2' } },
      { method: 'POST' as const, url: `/events/${event.id}/ticket-types`, payload: { name: 'T', price: 1, currency: 'RWF', capacity: 1 } },
      { method: 'POST' as const, url: `/events/${event.id}/publish` },
      { method: 'POST' as const, url: `/events/${event.id}/cancel` },
    ];
    for (const a of attempts) {
      const res = await t.app.inject({ ...a, url: `${api}${a.url}`, headers: gate.auth });
      expect(res.statusCode, `${a.method} ${a.url}: ${res.body}`).toBe(403);
      expect(res.json().code).toBe('forbidden');
    }
    expect((await t.app.inject({ url: `${api}/venues/${venueId}`, headers: gate.auth })).statusCode).toBe(200);
    expect((await t.app.inject({ url: `${api}/organizers/${owner.organizerId}/venues`, headers: gate.auth })).statusCode).toBe(200);
  });

  it('shows the public only public ticket types and no counters; members see everything', async () => {
    const owner = await c.make.member();
    const event = await c.event(owner);
    const regular = await c.ticketType(owner, event.id, { name: 'Regular', price: 5000, capacity: 10, sortOrder: 1 });
    const comp = await c.ticketType(owner, event.id, { name: 'Complimentary', price: 0, capacity: 5, visibility: 'hidden', sortOrder: 2 });
    await c.post(`/events/${event.id}/publish`, owner.auth, {}, 200);
    await t.db.updateTable('ticket_types').set({ held: 2, sold: 3 }).where('id', '=', regular.id).execute();

    const anon = (await t.app.inject({ url: `${api}/events/${event.id}` })).json();
    expect(anon.ticketTypes).toHaveLength(1);
    expect(anon.ticketTypes[0]).toMatchObject({ id: regular.id, remaining: 5, currency: 'RWF', minorUnit: 0, salesStatus: 'on_sale' });
    expect(anon.ticketTypes[0].held).toBeUndefined();
    expect(anon.lowestPrice).toEqual({ price: 5000, currency: 'RWF', minorUnit: 0 });
    const anonList = (await t.app.inject({ url: `${api}/events/${event.id}/ticket-types` })).json();
    expect(anonList.items.map((x: { id: string }) => x.id)).toEqual([regular.id]);

    const member = (await t.app.inject({ url: `${api}/events/${event.id}`, headers: owner.auth })).json();
    expect(member.ticketTypes.map((x: { id: string }) => x.id)).toEqual([regular.id, comp.id]);
    expect(member.ticketTypes[0]).toMatchObject({ held: 2, sold: 3, remaining: 5 });
  });

  it('answers 404 for an event that does not exist', async () => {
    const res = await t.app.inject({ url: `${api}/events/${crypto.randomUUID()}` });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('event_not_found');
  });
});
