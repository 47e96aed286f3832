import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../helpers/testApp.js';
import { factories, FACTORY_PASSWORD } from '../helpers/factories.js';

let t: TestApp;
let other: TestApp;
let make: ReturnType<typeof factories>;

beforeAll(async () => {
  // Two apps on one database: two server processes as far as the disabled-user cache is concerned.
  [t, other] = await Promise.all([testApp(), testApp()]);
  make = factories(t.db, t.ctx.tokens);
});
afterAll(async () => Promise.all([t?.close(), other?.close()]));

const get = (app: TestApp, url: string, headers: Record<string, string> = {}) => app.app.inject({ method: 'GET', url, headers });
const post = (url: string, headers: Record<string, string>, payload?: object) =>
  t.app.inject({ method: 'POST', url, headers, ...(payload ? { payload } : {}) });

async function login(email: string) {
  return t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email, password: FACTORY_PASSWORD },
    remoteAddress: `10.9.${crypto.randomInt(255)}.${crypto.randomInt(255)}`,
  });
}

describe('admin: users', () => {
  it('searches users by email or name substring, case-insensitively, paginated; admins only', async () => {
    const admin = await make.admin();
    const tag = crypto.randomBytes(4).toString('hex');
    const users = await Promise.all([
      make.user({ email: `zed-${tag}-a@example.test`, name: 'Alpha' }),
      make.user({ email: `zed-${tag}-b@example.test`, name: 'Beta' }),
      make.user({ name: `Gamma ${tag.toUpperCase()}` }),
    ]);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await get(t, `/api/v1/admin/users?q=${tag}&limit=2${cursor ? `&cursor=${cursor}` : ''}`, admin.auth);
      expect(res.statusCode, res.body).toBe(200);
      const page = res.json() as { items: { id: string; status: string; email: string }[]; nextCursor: string | null };
      seen.push(...page.items.map((u) => u.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual(users.map((u) => u.id).sort());

    // LIKE characters are literal: as wildcards these would match the three users above.
    for (const q of [`${tag}%`, `zed-${tag}-_`]) {
      const res = await get(t, `/api/v1/admin/users?q=${encodeURIComponent(q)}`, admin.auth);
      expect((res.json() as { items: unknown[] }).items).toEqual([]);
    }

    const buyer = await make.user();
    expect((await get(t, '/api/v1/admin/users', buyer.auth)).json()).toMatchObject({ status: 403, code: 'forbidden' });
    expect((await get(t, '/api/v1/admin/users')).json()).toMatchObject({ status: 401, code: 'unauthenticated' });
    expect((await get(t, '/api/v1/admin/users?cursor=xyz', admin.auth)).json()).toMatchObject({ status: 400, code: 'validation_failed' });
  });

  it('shows one user with memberships and counts; 404 for an unknown id', async () => {
    const admin = await make.admin();
    const member = await make.member({ role: 'manager' });
    const res = await get(t, `/api/v1/admin/users/${member.id}`, admin.auth);
    expect(res.json()).toMatchObject({
      id: member.id,
      email: member.email,
      status: 'active',
      memberships: [{ organizerId: member.organizerId, role: 'manager' }],
      bookings: 0,
    });
    expect((await get(t, `/api/v1/admin/users/${crypto.randomUUID()}`, admin.auth)).json()).toMatchObject({ status: 404, code: 'user_not_found' });
  });

  it('disabling a user stops their access tokens at once, revokes their sessions, and is audited; enabling lets them log in again', async () => {
    const admin = await make.admin();
    const user = await make.user();
    const session = await login(user.email);
    expect(session.statusCode).toBe(200);
    const { accessToken, refreshToken } = session.json() as { accessToken: string; refreshToken: string };
    const auth = { authorization: `Bearer ${accessToken}` };
    expect((await get(t, '/api/v1/me', auth)).statusCode).toBe(200);
    expect((await get(other, '/api/v1/me', auth)).statusCode).toBe(200); // warms the other process's cache

    const disabled = await post(`/api/v1/admin/users/${user.id}/disable`, { ...admin.auth, 'x-request-id': 'disable-req-1' });
    expect(disabled.statusCode, disabled.body).toBe(200);
    expect(disabled.json()).toMatchObject({ id: user.id, status: 'disabled', liveSessions: 0 });

    // This process: at once.
    const me = await get(t, '/api/v1/me', auth);
    expect(me.statusCode).toBe(401);
    expect(me.headers['content-type']).toContain('application/problem+json');
    expect(me.json()).toMatchObject({ code: 'account_disabled' });
    // Any other route that takes a token, too.
    expect((await get(t, '/api/v1/organizers', user.auth)).json()).toMatchObject({ code: 'account_disabled' });
    // The other process: within AUTH_DISABLED_CACHE_MS (1 s).
    const started = Date.now();
    let status = 200;
    while (status !== 401 && Date.now() - started < 3000) {
      status = (await get(other, '/api/v1/me', auth)).statusCode;
      if (status !== 401) await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(401);
    expect(Date.now() - started).toBeLessThan(1500);

    const refreshed = await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken } });
    expect(refreshed.json()).toMatchObject({ status: 401, code: 'invalid_refresh_token' });
    expect((await login(user.email)).json()).toMatchObject({ status: 403, code: 'account_disabled' });

    // Idempotent, and one audit entry.
    expect((await post(`/api/v1/admin/users/${user.id}/disable`, admin.auth)).statusCode).toBe(200);
    const audit = await get(t, `/api/v1/admin/audit?targetType=user&targetId=${user.id}`, admin.auth);
    expect((audit.json() as { items: unknown[] }).items).toEqual([
      expect.objectContaining({ action: 'user.disabled', actor: expect.objectContaining({ id: admin.id }), requestId: 'disable-req-1' }),
    ]);

    const enabled = await post(`/api/v1/admin/users/${user.id}/enable`, admin.auth);
    expect(enabled.json()).toMatchObject({ status: 'active', disabledAt: null });
    expect((await login(user.email)).statusCode).toBe(200);
    const actions = ((await get(t, `/api/v1/admin/audit?action=user.&targetId=${user.id}`, admin.auth)).json() as { items: { action: string }[] }).items;
    expect(actions.map((a) => a.action)).toEqual(['user.enabled', 'user.disabled']);
  });

  it('refuses to disable yourself, unknown users, and non-admin callers', async () => {
    const admin = await make.admin();
    expect((await post(`/api/v1/admin/users/${admin.id}/disable`, admin.auth)).json()).toMatchObject({ status: 409, code: 'cannot_disable_self' });
    expect((await post(`/api/v1/admin/users/${crypto.randomUUID()}/disable`, admin.auth)).json()).toMatchObject({ status: 404, code: 'user_not_found' });
    const buyer = await make.user();
    const victim = await make.user();
    expect((await post(`/api/v1/admin/users/${victim.id}/disable`, buyer.auth)).json()).toMatchObject({ status: 403 });
    expect((await get(t, '/api/v1/me', victim.auth)).statusCode).toBe(200);
  });
});

describe('admin: organizers', () => {
  it('searches organizers by name or slug with member and event counts', async () => {
    const admin = await make.admin();
    const tag = crypto.randomBytes(4).toString('hex');
    const org = await make.organizer({ name: `Nyanza Promotions ${tag}` });
    await make.member({ organizerId: org.id });
    await make.event({ organizerId: org.id });
    const res = await get(t, `/api/v1/admin/organizers?q=${tag.toUpperCase()}`, admin.auth);
    expect(res.statusCode).toBe(200);
    expect((res.json() as { items: unknown[] }).items).toEqual([
      expect.objectContaining({ id: org.id, members: 1, events: 1, commissionBps: 500 }),
    ]);
    const owner = await make.member();
    expect((await get(t, '/api/v1/admin/organizers', owner.auth)).json()).toMatchObject({ status: 403 });
  });
});
