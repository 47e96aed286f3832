import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../helpers/testApp.js';
import { api, catalog, DAY } from './catalog.js';

let t: TestApp;
let c: ReturnType<typeof catalog>;
let owner: Awaited<ReturnType<ReturnType<typeof catalog>['make']['member']>>;
let ids: { organizerId: string; venueId: string; eventId: string; ticketTypeId: string };

beforeAll(async () => {
  t = await testApp();
  c = catalog(t);
  owner = await c.make.member({ role: 'owner' });
  const venue = await c.venue(owner);
  const event = await c.event(owner, { venueId: venue.id });
  const ticketType = await c.ticketType(owner, event.id);
  ids = { organizerId: owner.organizerId, venueId: venue.id, eventId: event.id, ticketTypeId: ticketType.id };
});
afterAll(async () => {
  await t.close();
});

const start = new Date(Date.now() + 10 * DAY).toISOString();
const end = new Date(Date.now() + 11 * DAY).toISOString();
const venueBody = { name: 'V', city: 'Kigali', country: 'RW', timezone: 'Africa/Kigali', capacity: 100 };
const ticketBody = { name: 'T', price: 5000, currency: 'RWF', capacity: 10 };

type Case = { name: string; method: 'POST' | 'PATCH'; url: (i: typeof ids) => string; body: (i: typeof ids) => unknown; field: string };
const cases: Case[] = [
  // venues
  { name: 'venue without name', method: 'POST', url: (i) => `/organizers/${i.organizerId}/venues`, body: () => ({ ...venueBody, name: undefined }), field: 'name' },
  { name: 'venue capacity as string', method: 'POST', url: (i) => `/organizers/${i.organizerId}/venues`, body: () => ({ ...venueBody, capacity: '100' }), field: 'capacity' },
  { name: 'venue capacity zero', method: 'POST', url: (i) => `/organizers/${i.organizerId}/venues`, body: () => ({ ...venueBody, capacity: 0 }), field: 'capacity' },
  { name: 'venue alpha-3 country', method: 'POST', url: (i) => `/organizers/${i.organizerId}/venues`, body: () => ({ ...venueBody, country: 'RWA' }), field: 'country' },
  { name: 'venue unknown country', method: 'POST', url: (i) => `/organizers/${i.organizerId}/venues`, body: () => ({ ...venueBody, country: 'QQ' }), field: 'country' },
  { name: 'venue bad timezone', method: 'POST', url: (i) => `/organizers/${i.organizerId}/venues`, body: () => ({ ...venueBody, timezone: 'GMT+25' }), field: 'timezone' },
  { name: 'venue extra field', method: 'POST', url: (i) => `/organizers/${i.organizerId}/venues`, body: () => ({ ...venueBody, organizerId: 'x' }), field: 'organizerId' },
  { name: 'venue city too long', method: 'PATCH', url: (i) => `/venues/${i.venueId}`, body: () => ({ city: 'x'.repeat(101) }), field: 'city' },
  { name: 'venue empty patch', method: 'PATCH', url: (i) => `/venues/${i.venueId}`, body: () => ({}), field: 'body' },
  // events
  { name: 'event venueId not a uuid', method: 'POST', url: (i) => `/organizers/${i.organizerId}/events`, body: () => ({ name: 'E', venueId: 'v1', startsAt: start, endsAt: end }), field: 'venueId' },
  { name: 'event missing venueId', method: 'POST', url: (i) => `/organizers/${i.organizerId}/events`, body: () => ({ name: 'E', startsAt: start, endsAt: end }), field: 'venueId' },
  { name: 'event date without time zone', method: 'POST', url: (i) => `/organizers/${i.organizerId}/events`, body: (i) => ({ name: 'E', venueId: i.venueId, startsAt: '2030-01-01T10:00:00', endsAt: end }), field: 'startsAt' },
  { name: 'event date as number', method: 'POST', url: (i) => `/organizers/${i.organizerId}/events`, body: (i) => ({ name: 'E', venueId: i.venueId, startsAt: Date.now(), endsAt: end }), field: 'startsAt' },
  { name: 'event ends before start', method: 'POST', url: (i) => `/organizers/${i.organizerId}/events`, body: (i) => ({ name: 'E', venueId: i.venueId, startsAt: end, endsAt: start }), field: 'endsAt' },
  { name: 'event bad timezone', method: 'POST', url: (i) => `/organizers/${i.organizerId}/events`, body: (i) => ({ name: 'E', venueId: i.venueId, startsAt: start, endsAt: end, timezone: 'Moon/Base' }), field: 'timezone' },
  { name: 'event holdMinutes 0', method: 'POST', url: (i) => `/organizers/${i.organizerId}/events`, body: (i) => ({ name: 'E', venueId: i.venueId, startsAt: start, endsAt: end, holdMinutes: 0 }), field: 'holdMinutes' },
  { name: 'event name too long', method: 'PATCH', url: (i) => `/events/${i.eventId}`, body: () => ({ name: 'x'.repeat(201) }), field: 'name' },
  { name: 'event description too long', method: 'PATCH', url: (i) => `/events/${i.eventId}`, body: () => ({ description: 'x'.repeat(5001) }), field: 'description' },
  { name: 'event status via patch', method: 'PATCH', url: (i) => `/events/${i.eventId}`, body: () => ({ status: 'published' }), field: 'status' },
  { name: 'event end before stored start', method: 'PATCH', url: (i) => `/events/${i.eventId}`, body: () => ({ endsAt: new Date(Date.now() + DAY).toISOString() }), field: 'endsAt' },
  // ticket types
  { name: 'price as string', method: 'POST', url: (i) => `/events/${i.eventId}/ticket-types`, body: () => ({ ...ticketBody, price: '5000' }), field: 'price' },
  { name: 'fractional price', method: 'POST', url: (i) => `/events/${i.eventId}/ticket-types`, body: () => ({ ...ticketBody, price: 50.5 }), field: 'price' },
  { name: 'negative price', method: 'POST', url: (i) => `/events/${i.eventId}/ticket-types`, body: () => ({ ...ticketBody, price: -1 }), field: 'price' },
  { name: 'unknown currency', method: 'POST', url: (i) => `/events/${i.eventId}/ticket-types`, body: () => ({ ...ticketBody, currency: 'ABC' }), field: 'currency' },
  { name: 'currency not 3 letters', method: 'POST', url: (i) => `/events/${i.eventId}/ticket-types`, body: () => ({ ...ticketBody, currency: 'RW' }), field: 'currency' },
  { name: 'missing capacity', method: 'POST', url: (i) => `/events/${i.eventId}/ticket-types`, body: () => ({ ...ticketBody, capacity: undefined }), field: 'capacity' },
  { name: 'sales end before start', method: 'POST', url: (i) => `/events/${i.eventId}/ticket-types`, body: () => ({ ...ticketBody, salesStart: end, salesEnd: start }), field: 'salesEnd' },
  { name: 'max below min per order', method: 'POST', url: (i) => `/events/${i.eventId}/ticket-types`, body: () => ({ ...ticketBody, minPerOrder: 5, maxPerOrder: 2 }), field: 'maxPerOrder' },
  { name: 'unknown visibility', method: 'POST', url: (i) => `/events/${i.eventId}/ticket-types`, body: () => ({ ...ticketBody, visibility: 'secret' }), field: 'visibility' },
  { name: 'ticket extra field', method: 'POST', url: (i) => `/events/${i.eventId}/ticket-types`, body: () => ({ ...ticketBody, sold: 5 }), field: 'sold' },
  { name: 'patch currency unknown', method: 'PATCH', url: (i) => `/ticket-types/${i.ticketTypeId}`, body: () => ({ currency: 'ABC' }), field: 'currency' },
  { name: 'patch held', method: 'PATCH', url: (i) => `/ticket-types/${i.ticketTypeId}`, body: () => ({ held: 0 }), field: 'held' },
  { name: 'patch capacity null', method: 'PATCH', url: (i) => `/ticket-types/${i.ticketTypeId}`, body: () => ({ capacity: null }), field: 'capacity' },
  { name: 'patch empty', method: 'PATCH', url: (i) => `/ticket-types/${i.ticketTypeId}`, body: () => ({}), field: 'body' },
];

describe('bad input on venues, events and ticket types', () => {
  it.each(cases)('$name → 400 naming $field', async (k) => {
    const res = await t.app.inject({ method: k.method, url: `${api}${k.url(ids)}`, headers: owner.auth, payload: k.body(ids) as object });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().code).toBe('validation_failed');
    expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(k.field);
  });

  it.each([
    ['GET', '/venues/123'],
    ['PATCH', '/venues/123'],
    ['GET', '/events/123'],
    ['GET', '/events/123/ticket-types'],
    ['POST', '/events/123/publish'],
    ['PATCH', '/ticket-types/123'],
    ['GET', '/organizers/123/events'],
  ] as const)('%s %s with an invalid uuid → 400 params.id', async (method, url) => {
    const res = await t.app.inject({ method, url: `${api}${url}`, headers: owner.auth, ...(method === 'PATCH' ? { payload: { name: 'x' } } : {}) });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].field).toBe('params.id');
  });

  it('leaves the stored data untouched by refused input', async () => {
    const row = await t.db.selectFrom('ticket_types').selectAll().where('id', '=', ids.ticketTypeId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ currency: 'RWF', price: 5000, held: 0, sold: 0 });
  });
});
