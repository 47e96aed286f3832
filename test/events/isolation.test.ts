import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../helpers/testApp.js';
import { api, catalog } from './catalog.js';

let t: TestApp;
let c: ReturnType<typeof catalog>;
beforeAll(async () => {
  t = await testApp();
  c = catalog(t);
});
afterAll(async () => {
  await t.close();
});

/**
 * Tenant isolation: a member of organizer A (any role, even owner) cannot see or change anything
 * organizer B has not made public — it answers 404, exactly as for an id that does not exist.
 */
describe('tenant isolation between organizers', () => {
  it("hides B's drafts, venues, hidden ticket types and event list from A's owner (404)", async () => {
    const a = await c.make.member({ role: 'owner' });
    const b = await c.make.member({ role: 'owner' });
    const bVenue = await c.venue(b);
    const bDraft = await c.event(b, { venueId: bVenue.id });
    const bDraftTicket = await c.ticketType(b, bDraft.id);
    const { event: bPublished } = await c.published(b, { venueId: bVenue.id });
    const bHidden = await c.ticketType(b, bPublished.id, { visibility: 'hidden', name: 'Sponsors' });

    const probes: { method: 'GET' | 'POST' | 'PATCH'; url: string; payload?: object; code: string }[] = [
      { method: 'GET', url: `/venues/${bVenue.id}`, code: 'venue_not_found' },
      { method: 'PATCH', url: `/venues/${bVenue.id}`, payload: { name: 'Mine now' }, code: 'venue_not_found' },
      { method: 'GET', url: `/organizers/${b.organizerId}/venues`, code: 'organizer_not_found' },
      { method: 'POST', url: `/organizers/${b.organizerId}/venues`, payload: { name: 'V', city: 'C', country: 'RW', timezone: 'UTC', capacity: 1 }, code: 'organizer_not_found' },
      { method: 'GET', url: `/organizers/${b.organizerId}/events`, code: 'organizer_not_found' },
      {
        method: 'POST',
        url: `/organizers/${b.organizerId}/events`,
        payload: { name: 'E', venueId: bVenue.id, startsAt: bDraft.startsAt, endsAt: bDraft.endsAt },
        code: 'organizer_not_found',
      },
      { method: 'GET', url: `/events/${bDraft.id}`, code: 'event_not_found' },
      { method: 'GET', url: `/events/${bDraft.id}/ticket-types`, code: 'event_not_found' },
      { method: 'PATCH', url: `/events/${bDraft.id}`, payload: { name: 'x' }, code: 'event_not_found' },
      { method: 'POST', url: `/events/${bDraft.id}/publish`, code: 'event_not_found' },
      { method: 'POST', url: `/events/${bDraft.id}/cancel`, code: 'event_not_found' },
      { method: 'POST', url: `/events/${bDraft.id}/ticket-types`, payload: { name: 'T', price: 1, currency: 'RWF', capacity: 1 }, code: 'event_not_found' },
      { method: 'PATCH', url: `/ticket-types/${bDraftTicket.id}`, payload: { capacity: 0 }, code: 'ticket_type_not_found' },
      { method: 'PATCH', url: `/ticket-types/${bHidden.id}`, payload: { capacity: 0 }, code: 'ticket_type_not_found' },
    ];
    for (const p of probes) {
      const res = await t.app.inject({ method: p.method, url: `${api}${p.url}`, headers: a.auth, payload: p.payload });
      expect(res.statusCode, `${p.method} ${p.url}: ${res.body}`).toBe(404);
      expect(res.json().code, `${p.method} ${p.url}`).toBe(p.code);
    }

    // B's published event is public: A sees it like any buyer — without hidden types or counters.
    const pub = await t.app.inject({ url: `${api}/events/${bPublished.id}`, headers: a.auth });
    expect(pub.statusCode).toBe(200);
    expect(pub.json().ticketTypes.map((x: { name: string }) => x.name)).not.toContain('Sponsors');
    expect(pub.json().ticketTypes[0].sold).toBeUndefined();
    // …but cannot change it (403: they know it exists).
    const edit = await t.app.inject({ method: 'PATCH', url: `${api}/events/${bPublished.id}`, headers: a.auth, payload: { name: 'x' } });
    expect(edit.statusCode).toBe(403);
    const cancel = await t.app.inject({ method: 'POST', url: `${api}/events/${bPublished.id}/cancel`, headers: a.auth });
    expect(cancel.statusCode).toBe(403);

    // Nothing of B changed.
    const venue = await t.db.selectFrom('venues').select('name').where('id', '=', bVenue.id).executeTakeFirstOrThrow();
    expect(venue.name).toBe(bVenue.name);
    const events = await t.db.selectFrom('events').select(['id', 'status', 'name']).where('organizer_id', '=', b.organizerId).execute();
    expect(events.find((e) => e.id === bDraft.id)).toMatchObject({ status: 'draft', name: bDraft.name });
    expect(events.find((e) => e.id === bPublished.id)?.status).toBe('published');
    const tickets = await t.db.selectFrom('ticket_types').select('capacity').where('event_id', 'in', [bDraft.id, bPublished.id]).execute();
    expect(tickets.every((x) => x.capacity > 0)).toBe(true);
  });

  it("does not let A use B's venue for A's event", async () => {
    const a = await c.make.member({ role: 'owner' });
    const b = await c.make.member({ role: 'owner' });
    const bVenue = await c.venue(b);
    const aEvent = await c.event(a);
    const res = await t.app.inject({ method: 'PATCH', url: `${api}/events/${aEvent.id}`, headers: a.auth, payload: { venueId: bVenue.id } });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].field).toBe('venueId');
  });

  it('lets a platform admin see and manage any organizer', async () => {
    const admin = await c.make.admin();
    const b = await c.make.member({ role: 'owner' });
    const draft = await c.event(b);
    expect((await t.app.inject({ url: `${api}/events/${draft.id}`, headers: admin.auth })).statusCode).toBe(200);
    await c.ticketType(admin, draft.id);
    const pub = await t.app.inject({ method: 'POST', url: `${api}/events/${draft.id}/publish`, headers: admin.auth });
    expect(pub.statusCode).toBe(200);
  });

  it('answers anonymous writes with 401', async () => {
    const b = await c.make.member({ role: 'owner' });
    const draft = await c.event(b);
    for (const [method, url] of [
      ['PATCH', `/events/${draft.id}`],
      ['POST', `/events/${draft.id}/publish`],
      ['GET', `/organizers/${b.organizerId}/events`],
      ['GET', `/venues/${draft.venueId}`],
    ] as const) {
      const res = await t.app.inject({ method, url: `${api}${url}`, ...(method === 'PATCH' ? { payload: { name: 'x' } } : {}) });
      expect(res.statusCode, `${method} ${url}`).toBe(401);
    }
  });
});
