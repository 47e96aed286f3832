import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../helpers/testApp.js';
import { api, catalog, DAY, uniq } from './catalog.js';

let t: TestApp;
let c: ReturnType<typeof catalog>;
beforeAll(async () => {
  t = await testApp();
  c = catalog(t);
});
afterAll(async () => {
  await t.close();
});

type Page = { items: { id: string; name: string; startsAt: string; status: string; venue: { city: string } }[]; nextCursor: string | null };
const list = async (query: string, headers: Record<string, string> = {}) => {
  const res = await t.app.inject({ url: `${api}/events?${query}`, headers });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as Page;
};

describe('public catalogue', () => {
  it('lists published events only, to anonymous callers', async () => {
    const owner = await c.make.member();
    const { event: published } = await c.published(owner);
    const draft = await c.event(owner);
    const { event: cancelled } = await c.published(owner);
    await c.post(`/events/${cancelled.id}/cancel`, owner.auth, {}, 200);
    const page = await list(`organizerId=${owner.organizerId}`);
    expect(page.items.map((e) => e.id)).toEqual([published.id]);
    expect(page.items.some((e) => e.id === draft.id)).toBe(false);
    expect(page.nextCursor).toBeNull();
  });

  it('filters by date range on the start (from inclusive, to exclusive)', async () => {
    const owner = await c.make.member();
    const base = Date.now() + 60 * DAY;
    const events = [];
    for (let i = 0; i < 4; i++) events.push((await c.published(owner, { startsAt: new Date(base + i * DAY).toISOString() })).event);
    const from = new Date(base + DAY).toISOString();
    const to = new Date(base + 3 * DAY).toISOString();
    const page = await list(`organizerId=${owner.organizerId}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
    expect(page.items.map((e) => e.id)).toEqual([events[1].id, events[2].id]);
    const bad = await t.app.inject({ url: `${api}/events?from=${encodeURIComponent(to)}&to=${encodeURIComponent(from)}` });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('to');
  });

  it('filters by city, case-insensitively', async () => {
    const owner = await c.make.member();
    const city = `Musanze ${uniq()}`;
    const venue = await c.venue(owner, { city });
    const { event: there } = await c.published(owner, { venueId: venue.id });
    await c.published(owner); // in Kigali
    const page = await list(`city=${encodeURIComponent(city.toUpperCase())}`);
    expect(page.items.map((e) => e.id)).toEqual([there.id]);
  });

  it('finds events by name, venue, city and description with full-text search', async () => {
    const owner = await c.make.member();
    const word = `zq${uniq()}`;
    const venueWord = `vq${uniq()}`;
    const { event: byName } = await c.published(owner, { name: `Derby ${word} night` });
    const venue = await c.venue(owner, { name: `Stade ${venueWord}` });
    const { event: byVenue } = await c.published(owner, { venueId: venue.id });
    const { event: byDescription } = await c.published(owner, { description: `Bring your ${word} scarf` });
    await c.published(owner, { name: 'Unrelated' });

    expect((await list(`q=${word}`)).items.map((e) => e.id).sort()).toEqual([byName.id, byDescription.id].sort());
    expect((await list(`q=${venueWord}`)).items.map((e) => e.id)).toEqual([byVenue.id]);
    expect((await list(`q=${encodeURIComponent(`${word} -scarf`)}`)).items.map((e) => e.id)).toEqual([byName.id]);
    expect((await list(`q=${encodeURIComponent(`"derby ${word}"`)}`)).items.map((e) => e.id)).toEqual([byName.id]);

    // Renaming keeps the search document current: the event, and the venue for its events.
    const renamed = `rn${uniq()}`;
    await t.app.inject({ method: 'PATCH', url: `${api}/events/${byName.id}`, headers: owner.auth, payload: { name: `Derby ${renamed}` } });
    expect((await list(`q=${word}`)).items.map((e) => e.id)).toEqual([byDescription.id]);
    expect((await list(`q=${renamed}`)).items.map((e) => e.id)).toEqual([byName.id]);
    const newVenueWord = `nv${uniq()}`;
    await t.app.inject({ method: 'PATCH', url: `${api}/venues/${venue.id}`, headers: owner.auth, payload: { name: `Arena ${newVenueWord}` } });
    expect((await list(`q=${newVenueWord}`)).items.map((e) => e.id)).toEqual([byVenue.id]);
    expect((await list(`q=${venueWord}`)).items).toEqual([]);
  });

  it('paginates with an opaque cursor, in start order, without gaps or repeats', async () => {
    const owner = await c.make.member();
    const startsAt = new Date(Date.now() + 90 * DAY).toISOString();
    const ids: string[] = [];
    // Three share a start time (the id breaks the tie), two are later.
    for (let i = 0; i < 3; i++) ids.push((await c.published(owner, { startsAt })).event.id);
    for (let i = 1; i <= 2; i++) ids.push((await c.published(owner, { startsAt: new Date(Date.parse(startsAt) + i * DAY).toISOString() })).event.id);
    const expected = [...ids.slice(0, 3).sort(), ...ids.slice(3)];
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Page = await list(`organizerId=${owner.organizerId}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(expected);
  });

  it('rejects bad query parameters', async () => {
    for (const [query, field] of [
      ['limit=0', 'querystring.limit'],
      ['limit=101', 'querystring.limit'],
      ['limit=abc', 'querystring.limit'],
      ['organizerId=nope', 'querystring.organizerId'],
      ['from=yesterday', 'querystring.from'],
      ['cursor=bm9wZQ', 'cursor'],
      ['sort=name', 'querystring.sort'],
    ]) {
      const res = await t.app.inject({ url: `${api}/events?${query}` });
      expect(res.statusCode, query).toBe(400);
      expect(res.json().errors.map((e: { field: string }) => e.field), query).toContain(field);
    }
  });
});
