import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../helpers/testApp.js';
import { factories } from '../helpers/factories.js';

let t: TestApp;
let make: ReturnType<typeof factories>;
beforeAll(async () => {
  t = await testApp();
  make = factories(t.db, t.ctx.tokens);
});
afterAll(async () => {
  await t.close();
});

const api = '/api/v1';

describe('organizers', () => {
  it('lets an admin create an organizer with a commission and a unique slug', async () => {
    const admin = await make.admin();
    const name = `Kigali Jazz ${crypto.randomUUID().slice(0, 6)}`;
    const res = await t.app.inject({ method: 'POST', url: `${api}/organizers`, headers: admin.auth, payload: { name, commissionBps: 750 } });
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ name, commissionBps: 750, myRole: null });
    expect(body.slug).toMatch(/^kigali-jazz-/);
    const again = await t.app.inject({ method: 'POST', url: `${api}/organizers`, headers: admin.auth, payload: { name } });
    expect(again.statusCode).toBe(201);
    expect(again.json().slug).not.toBe(body.slug);
    expect(again.json().commissionBps).toBe(500);
  });

  it('refuses organizer creation to non-admins and anonymous callers', async () => {
    const user = await make.user();
    const res = await t.app.inject({ method: 'POST', url: `${api}/organizers`, headers: user.auth, payload: { name: 'Mine' } });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('forbidden');
    const anon = await t.app.inject({ method: 'POST', url: `${api}/organizers`, payload: { name: 'Mine' } });
    expect(anon.statusCode).toBe(401);
  });

  it('lists all organizers for an admin and only their own for a member, paginated', async () => {
    const owner = await make.member({ role: 'manager' });
    const other = await make.organizer();
    const mine = await t.app.inject({ url: `${api}/organizers`, headers: owner.auth });
    expect(mine.statusCode).toBe(200);
    expect(mine.json().items).toEqual([expect.objectContaining({ id: owner.organizerId, myRole: 'manager' })]);
    expect(mine.json().nextCursor).toBeNull();

    const admin = await make.admin();
    const seen = new Set<string>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { statusCode: number; json(): { items: { id: string }[]; nextCursor: string | null } } = await t.app.inject({
        url: `${api}/organizers?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        headers: admin.auth,
      });
      expect(page.statusCode).toBe(200);
      const body = page.json();
      expect(body.items.length).toBeLessThanOrEqual(2);
      for (const o of body.items) {
        expect(seen.has(o.id)).toBe(false);
        seen.add(o.id);
      }
      cursor = body.nextCursor;
      pages++;
    } while (cursor && pages < 1000);
    expect(seen.has(other.id)).toBe(true);
    expect(seen.has(owner.organizerId)).toBe(true);

    const bad = await t.app.inject({ url: `${api}/organizers?cursor=garbage`, headers: admin.auth });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('cursor');
  });

  it('lets an owner rename but only an admin change the commission', async () => {
    const owner = await make.member({ role: 'owner' });
    const rename = await t.app.inject({ method: 'PATCH', url: `${api}/organizers/${owner.organizerId}`, headers: owner.auth, payload: { name: 'Renamed' } });
    expect(rename.statusCode, rename.body).toBe(200);
    expect(rename.json()).toMatchObject({ name: 'Renamed', myRole: 'owner' });
    const commission = await t.app.inject({
      method: 'PATCH',
      url: `${api}/organizers/${owner.organizerId}`,
      headers: owner.auth,
      payload: { commissionBps: 0 },
    });
    expect(commission.statusCode).toBe(403);
    const admin = await make.admin();
    const byAdmin = await t.app.inject({
      method: 'PATCH',
      url: `${api}/organizers/${owner.organizerId}`,
      headers: admin.auth,
      payload: { commissionBps: 250 },
    });
    expect(byAdmin.statusCode).toBe(200);
    expect(byAdmin.json().commissionBps).toBe(250);
    const manager = await make.member({ organizerId: owner.organizerId, role: 'manager' });
    const byManager = await t.app.inject({ method: 'PATCH', url: `${api}/organizers/${owner.organizerId}`, headers: manager.auth, payload: { name: 'X' } });
    expect(byManager.statusCode).toBe(403);
  });
});

describe('members', () => {
  it('lets an owner add an existing account by email (case-insensitive) and list members', async () => {
    const owner = await make.member({ role: 'owner' });
    const newcomer = await make.user();
    const res = await t.app.inject({
      method: 'POST',
      url: `${api}/organizers/${owner.organizerId}/members`,
      headers: owner.auth,
      payload: { email: newcomer.email.toUpperCase(), role: 'gate' },
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ userId: newcomer.id, email: newcomer.email, role: 'gate' });

    const dup = await t.app.inject({
      method: 'POST',
      url: `${api}/organizers/${owner.organizerId}/members`,
      headers: owner.auth,
      payload: { email: newcomer.email, role: 'manager' },
    });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().code).toBe('already_member');

    const list = await t.app.inject({ url: `${api}/organizers/${owner.organizerId}/members`, headers: newcomer.auth });
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((m: { userId: string; role: string }) => [m.userId, m.role]).sort()).toEqual(
      [
        [owner.id, 'owner'],
        [newcomer.id, 'gate'],
      ].sort(),
    );
    // The new member now sees the organizer.
    const get = await t.app.inject({ url: `${api}/organizers/${owner.organizerId}`, headers: newcomer.auth });
    expect(get.json().myRole).toBe('gate');
  });

  it('answers 404 user_not_found for an email with no account', async () => {
    const owner = await make.member({ role: 'owner' });
    const res = await t.app.inject({
      method: 'POST',
      url: `${api}/organizers/${owner.organizerId}/members`,
      headers: owner.auth,
      payload: { email: `nobody-${crypto.randomUUID()}@example.test`, role: 'manager' },
    });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('user_not_found');
  });

  it('lets only owners (and admins) manage members', async () => {
    const owner = await make.member({ role: 'owner' });
    const manager = await make.member({ organizerId: owner.organizerId, role: 'manager' });
    const gate = await make.member({ organizerId: owner.organizerId, role: 'gate' });
    const someone = await make.user();
    for (const who of [manager, gate]) {
      const add = await t.app.inject({
        method: 'POST',
        url: `${api}/organizers/${owner.organizerId}/members`,
        headers: who.auth,
        payload: { email: someone.email, role: 'owner' },
      });
      expect(add.statusCode).toBe(403);
      const remove = await t.app.inject({ method: 'DELETE', url: `${api}/organizers/${owner.organizerId}/members/${owner.id}`, headers: who.auth });
      expect(remove.statusCode).toBe(403);
    }
    const admin = await make.admin();
    const byAdmin = await t.app.inject({
      method: 'POST',
      url: `${api}/organizers/${owner.organizerId}/members`,
      headers: admin.auth,
      payload: { email: someone.email, role: 'manager' },
    });
    expect(byAdmin.statusCode).toBe(201);
  });

  it('removes members but never the last owner', async () => {
    const owner = await make.member({ role: 'owner' });
    const gate = await make.member({ organizerId: owner.organizerId, role: 'gate' });
    const removeGate = await t.app.inject({ method: 'DELETE', url: `${api}/organizers/${owner.organizerId}/members/${gate.id}`, headers: owner.auth });
    expect(removeGate.statusCode).toBe(204);
    const gone = await t.app.inject({ url: `${api}/organizers/${owner.organizerId}`, headers: gate.auth });
    expect(gone.statusCode).toBe(404);
    const again = await t.app.inject({ method: 'DELETE', url: `${api}/organizers/${owner.organizerId}/members/${gate.id}`, headers: owner.auth });
    expect(again.statusCode).toBe(404);
    expect(again.json().code).toBe('member_not_found');

    const last = await t.app.inject({ method: 'DELETE', url: `${api}/organizers/${owner.organizerId}/members/${owner.id}`, headers: owner.auth });
    expect(last.statusCode).toBe(409);
    expect(last.json().code).toBe('last_owner');
  });

  it('keeps one owner when two owners remove each other at the same moment', async () => {
    const a = await make.member({ role: 'owner' });
    const b = await make.member({ organizerId: a.organizerId, role: 'owner' });
    const [ra, rb] = await Promise.all([
      t.app.inject({ method: 'DELETE', url: `${api}/organizers/${a.organizerId}/members/${b.id}`, headers: a.auth }),
      t.app.inject({ method: 'DELETE', url: `${api}/organizers/${a.organizerId}/members/${a.id}`, headers: b.auth }),
    ]);
    const statuses = [ra.statusCode, rb.statusCode].sort();
    // One removal wins; the other is refused (last owner, or the remover is no longer a member).
    expect(statuses[0]).toBe(204);
    expect([403, 404, 409]).toContain(statuses[1]);
    const owners = await t.db
      .selectFrom('organizer_members')
      .select('user_id')
      .where('organizer_id', '=', a.organizerId)
      .where('role', '=', 'owner')
      .execute();
    expect(owners).toHaveLength(1);
  });
});

describe('organizer tenant isolation', () => {
  it('answers 404, not 403, to a member of another organizer', async () => {
    const a = await make.member({ role: 'owner' });
    const b = await make.member({ role: 'owner' });
    const stranger = await make.user();
    const probes = [
      { method: 'GET' as const, url: `${api}/organizers/${b.organizerId}` },
      { method: 'PATCH' as const, url: `${api}/organizers/${b.organizerId}`, payload: { name: 'Hijacked' } },
      { method: 'GET' as const, url: `${api}/organizers/${b.organizerId}/members` },
      { method: 'POST' as const, url: `${api}/organizers/${b.organizerId}/members`, payload: { email: stranger.email, role: 'owner' } },
      { method: 'DELETE' as const, url: `${api}/organizers/${b.organizerId}/members/${b.id}` },
    ];
    for (const p of probes) {
      const res = await t.app.inject({ ...p, headers: a.auth });
      expect(res.statusCode, `${p.method} ${p.url}`).toBe(404);
      expect(res.json().code).toBe('organizer_not_found');
    }
    const list = await t.app.inject({ url: `${api}/organizers`, headers: a.auth });
    expect(list.json().items.map((o: { id: string }) => o.id)).toEqual([a.organizerId]);
    const unchanged = await t.db.selectFrom('organizers').select('name').where('id', '=', b.organizerId).executeTakeFirstOrThrow();
    expect(unchanged.name).not.toBe('Hijacked');
  });

  it('lets a gate member read their organizer but not manage it (403)', async () => {
    const gate = await make.member({ role: 'gate' });
    expect((await t.app.inject({ url: `${api}/organizers/${gate.organizerId}`, headers: gate.auth })).statusCode).toBe(200);
    expect((await t.app.inject({ url: `${api}/organizers/${gate.organizerId}/members`, headers: gate.auth })).statusCode).toBe(200);
    const patch = await t.app.inject({ method: 'PATCH', url: `${api}/organizers/${gate.organizerId}`, headers: gate.auth, payload: { name: 'x' } });
    expect(patch.statusCode).toBe(403);
    expect(patch.json().code).toBe('forbidden');
  });
});

describe('organizer bad input', () => {
  const cases: { name: string; method: 'POST' | 'PATCH'; path: (orgId: string) => string; payload: unknown; field: string }[] = [
    { name: 'missing name', method: 'POST', path: () => '/organizers', payload: {}, field: 'name' },
    { name: 'blank name', method: 'POST', path: () => '/organizers', payload: { name: '   ' }, field: 'name' },
    { name: 'name too long', method: 'POST', path: () => '/organizers', payload: { name: 'x'.repeat(201) }, field: 'name' },
    { name: 'commission as string', method: 'POST', path: () => '/organizers', payload: { name: 'A', commissionBps: '500' }, field: 'commissionBps' },
    { name: 'commission over 100%', method: 'POST', path: () => '/organizers', payload: { name: 'A', commissionBps: 10_001 }, field: 'commissionBps' },
    { name: 'negative commission', method: 'PATCH', path: (o) => `/organizers/${o}`, payload: { commissionBps: -1 }, field: 'commissionBps' },
    { name: 'fractional commission', method: 'PATCH', path: (o) => `/organizers/${o}`, payload: { commissionBps: 1.5 }, field: 'commissionBps' },
    { name: 'unknown field', method: 'PATCH', path: (o) => `/organizers/${o}`, payload: { slug: 'x' }, field: 'slug' },
    { name: 'empty patch', method: 'PATCH', path: (o) => `/organizers/${o}`, payload: {}, field: 'body' },
    { name: 'bad email', method: 'POST', path: (o) => `/organizers/${o}/members`, payload: { email: 'not-an-email', role: 'gate' }, field: 'email' },
    { name: 'unknown role', method: 'POST', path: (o) => `/organizers/${o}/members`, payload: { email: 'a@b.test', role: 'king' }, field: 'role' },
    { name: 'missing role', method: 'POST', path: (o) => `/organizers/${o}/members`, payload: { email: 'a@b.test' }, field: 'role' },
  ];
  it.each(cases)('$name → 400 on $field', async (c) => {
    const admin = await make.admin();
    const org = await make.organizer();
    const res = await t.app.inject({ method: c.method, url: `${api}${c.path(org.id)}`, headers: admin.auth, payload: c.payload as object });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().code).toBe('validation_failed');
    expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(c.field);
  });

  it('rejects an invalid uuid in the path', async () => {
    const admin = await make.admin();
    for (const url of [`${api}/organizers/nope`, `${api}/organizers/nope/members`]) {
      const res = await t.app.inject({ url, headers: admin.auth });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors[0].field).toBe('params.id');
    }
    const del = await t.app.inject({ method: 'DELETE', url: `${api}/organizers/${crypto.randomUUID()}/members/123`, headers: admin.auth });
    expect(del.statusCode).toBe(400);
    expect(del.json().errors[0].field).toBe('params.userId');
  });

  it('answers 404 for an organizer that does not exist, even to an admin', async () => {
    const admin = await make.admin();
    const res = await t.app.inject({ url: `${api}/organizers/${crypto.randomUUID()}`, headers: admin.auth });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('organizer_not_found');
  });
});
