import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../helpers/testApp.js';
import { DEMO_LOGINS, DEMO_ORGANIZER_SLUG, seedDemo } from '../../src/seed.js';

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(async () => {
  await t.close();
});

describe('demo seed', () => {
  it('creates the demo catalogue once', async () => {
    // The first call creates it unless another test file already did (shared database).
    const first = await seedDemo(t.ctx);
    expect(typeof first).toBe('boolean');
    expect(await seedDemo(t.ctx)).toBe(false);
    const organizers = await t.db.selectFrom('organizers').selectAll().where('slug', '=', DEMO_ORGANIZER_SLUG).execute();
    expect(organizers).toHaveLength(1);
    expect(organizers[0]).toMatchObject({ name: 'Kigali Sports Events', commission_bps: 500 });
  });

  it('has the match at Amahoro Stadium with RWF prices summing to 45,000 seats', async () => {
    const res = await t.app.inject({ url: '/api/v1/events?q=Amahoro' });
    const match = res.json().items.find((e: { organizer: { name: string } }) => e.organizer.name === 'Kigali Sports Events');
    expect(match).toMatchObject({ status: 'published', timezone: 'Africa/Kigali', venue: { name: 'Amahoro Stadium', city: 'Kigali', country: 'RW' } });
    const days = (Date.parse(match.startsAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(20);
    expect(days).toBeLessThan(40);
    const detail = (await t.app.inject({ url: `/api/v1/events/${match.id}` })).json();
    const types = detail.ticketTypes.map((x: { name: string; price: number; currency: string; capacity: number; minorUnit: number }) => [
      x.name,
      x.price,
      x.currency,
      x.capacity,
      x.minorUnit,
    ]);
    expect(types).toEqual([
      ['Regular', 5_000, 'RWF', 38_000, 0],
      ['VIP', 30_000, 'RWF', 6_000, 0],
      ['VVIP', 100_000, 'RWF', 1_000, 0],
    ]);
    expect(detail.ticketTypes.reduce((s: number, x: { capacity: number }) => s + x.capacity, 0)).toBe(45_000);
    const venue = await t.db.selectFrom('venues').select('capacity').where('id', '=', match.venueId).executeTakeFirstOrThrow();
    expect(venue.capacity).toBe(45_000);
  });

  it('has a small published theatre night', async () => {
    const res = await t.app.inject({ url: `/api/v1/events?q=${encodeURIComponent('Theatre Night')}` });
    const play = res.json().items.find((e: { organizer: { name: string } }) => e.organizer.name === 'Kigali Sports Events');
    expect(play).toBeDefined();
    const detail = (await t.app.inject({ url: `/api/v1/events/${play.id}` })).json();
    const seats = detail.ticketTypes.reduce((s: number, x: { capacity: number }) => s + x.capacity, 0);
    expect(seats).toBeLessThanOrEqual(300);
    expect(detail.ticketTypes.every((x: { currency: string }) => x.currency === 'RWF')).toBe(true);
  });

  it('has demo accounts with their roles', async () => {
    expect(DEMO_LOGINS.map((d) => d.email).sort()).toEqual(['admin@tikiti.test', 'buyer@tikiti.test', 'gate@tikiti.test', 'owner@tikiti.test']);
    for (const d of DEMO_LOGINS) expect(d.password.length).toBeGreaterThanOrEqual(10);
    const org = await t.db.selectFrom('organizers').select('id').where('slug', '=', DEMO_ORGANIZER_SLUG).executeTakeFirstOrThrow();
    const rows = await t.db
      .selectFrom('users as u')
      .leftJoin('organizer_members as m', (j) => j.onRef('m.user_id', '=', 'u.id').on('m.organizer_id', '=', org.id))
      .select(['u.email', 'u.is_admin', 'm.role'])
      .where('u.email', 'in', DEMO_LOGINS.map((d) => d.email))
      .orderBy('u.email')
      .execute();
    expect(rows).toEqual([
      { email: 'admin@tikiti.test', is_admin: true, role: null },
      { email: 'buyer@tikiti.test', is_admin: false, role: null },
      { email: 'gate@tikiti.test', is_admin: false, role: 'gate' },
      { email: 'owner@tikiti.test', is_admin: false, role: 'owner' },
    ]);
    const owner = DEMO_LOGINS.find((d) => d.email === 'owner@tikiti.test')!;
    const login = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: owner.email, password: owner.password } });
    expect(login.statusCode, login.body).toBe(200);
  });
});
