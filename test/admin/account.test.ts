import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../helpers/testApp.js';
import { factories, FACTORY_PASSWORD } from '../helpers/factories.js';

let t: TestApp;
let make: ReturnType<typeof factories>;

beforeAll(async () => {
  t = await testApp();
  make = factories(t.db, t.ctx.tokens);
});
afterAll(async () => t?.close());

const buyerDetails = { name: 'Aline Uwase', email: 'aline.private@example.test', phone: '+250 788 123 456' };

async function book(auth: Record<string, string>, eventId: string, ticketTypeId: string, quantity = 2) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/bookings',
    headers: { ...auth, 'idempotency-key': crypto.randomUUID() },
    payload: { eventId, items: [{ ticketTypeId, quantity }], buyer: buyerDetails },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string };
}

async function session(email: string) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email, password: FACTORY_PASSWORD },
    remoteAddress: `10.8.${crypto.randomInt(255)}.${crypto.randomInt(255)}`,
  });
  expect(res.statusCode).toBe(200);
  return res.json() as { accessToken: string; refreshToken: string };
}

describe('GET /me/export', () => {
  it('returns the profile, memberships, bookings with holds, payments, refunds and tickets of the caller only', async () => {
    const user = await make.member({ role: 'gate' });
    const stranger = await make.user();
    const { ticketType, event } = await make.ticketType({ capacity: 50, price: 3000 });
    const mine = await book(user.auth, event.id, ticketType.id, 2);
    await book(stranger.auth, event.id, ticketType.id, 1);

    const res = await t.app.inject({ method: 'GET', url: '/api/v1/me/export', headers: user.auth });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-disposition']).toContain('attachment');
    const data = res.json();
    expect(data.profile).toMatchObject({ id: user.id, email: user.email, disabledAt: null });
    expect(data.memberships).toEqual([expect.objectContaining({ organizerId: user.organizerId, role: 'gate' })]);
    expect(data.bookings).toHaveLength(1);
    expect(data.bookings[0]).toMatchObject({
      id: mine.id,
      eventId: event.id,
      eventName: event.name,
      buyer: { ...buyerDetails, phone: '+250788123456' },
      total: 6000,
      currency: 'RWF',
      holds: [{ ticketTypeId: ticketType.id, quantity: 2, unitPrice: 3000, refundedQuantity: 0 }],
    });
    expect(Array.isArray(data.payments)).toBe(true);
    expect(Array.isArray(data.refunds)).toBe(true);
    expect(Array.isArray(data.tickets)).toBe(true);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me/export' })).statusCode).toBe(401);
  });
});

describe('DELETE /me', () => {
  it('anonymizes personal data, keeps bookings and counters, ends every session', async () => {
    const user = await make.user({ name: 'Jean Bosco' });
    const co = await make.member({ role: 'owner' });
    // A co-owner (not the only owner) and a manager elsewhere: both memberships go.
    await t.db.insertInto('organizer_members').values({ organizer_id: co.organizerId, user_id: user.id, role: 'owner' }).execute();
    await make.member({ role: 'owner' }).then((m) =>
      t.db.insertInto('organizer_members').values({ organizer_id: m.organizerId, user_id: user.id, role: 'manager' }).execute(),
    );
    const { ticketType, event } = await make.ticketType({ capacity: 50 });
    const booking = await book(user.auth, event.id, ticketType.id, 3);
    const before = await t.db.selectFrom('ticket_types').select(['held', 'sold']).where('id', '=', ticketType.id).executeTakeFirstOrThrow();
    const s = await session(user.email);
    const auth = { authorization: `Bearer ${s.accessToken}` };

    const wrong = await t.app.inject({ method: 'DELETE', url: '/api/v1/me', headers: auth, payload: { password: 'not my password' } });
    expect(wrong.json()).toMatchObject({ status: 403, code: 'invalid_password' });
    const noBody = await t.app.inject({ method: 'DELETE', url: '/api/v1/me', headers: auth, payload: {} });
    expect(noBody.json()).toMatchObject({ status: 400, code: 'validation_failed' });

    const del = await t.app.inject({ method: 'DELETE', url: '/api/v1/me', headers: { ...auth, 'x-request-id': 'delete-me-1' }, payload: { password: FACTORY_PASSWORD } });
    expect(del.statusCode, del.body).toBe(204);

    const row = await t.db.selectFrom('users').selectAll().where('id', '=', user.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ email: `deleted-${user.id}@invalid`, name: 'Deleted user', is_admin: false });
    expect(row.deleted_at).not.toBeNull();
    expect(row.disabled_at).not.toBeNull();
    expect(row.password_hash).not.toContain('argon2');
    const b = await t.db.selectFrom('bookings').selectAll().where('id', '=', booking.id).executeTakeFirstOrThrow();
    expect(b).toMatchObject({ user_id: user.id, buyer_name: 'Deleted user', buyer_email: `deleted-${user.id}@invalid`, buyer_phone: '', total: 15000 });
    const holds = await t.db.selectFrom('holds').selectAll().where('booking_id', '=', booking.id).execute();
    expect(holds.map((h) => h.quantity)).toEqual([3]);
    const after = await t.db.selectFrom('ticket_types').select(['held', 'sold']).where('id', '=', ticketType.id).executeTakeFirstOrThrow();
    expect(after).toEqual(before);
    expect(await t.db.selectFrom('organizer_members').selectAll().where('user_id', '=', user.id).execute()).toEqual([]);
    const live = await t.db.selectFrom('refresh_tokens').select('id').where('user_id', '=', user.id).where('revoked_at', 'is', null).execute();
    expect(live).toEqual([]);

    // Tokens are dead, the old email logs in no one, nothing personal is left to export.
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: auth })).json()).toMatchObject({ status: 401, code: 'account_disabled' });
    const refresh = await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: s.refreshToken } });
    expect(refresh.statusCode).toBe(401);
    const relogin = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password: FACTORY_PASSWORD }, remoteAddress: '10.7.7.7' });
    expect(relogin.json()).toMatchObject({ status: 401, code: 'invalid_credentials' });
    const { rows } = await import('kysely').then(({ sql }) =>
      sql<{ n: number }>`select count(*)::int as n from bookings where buyer_email = ${buyerDetails.email} and user_id = ${user.id}`.execute(t.db),
    );
    expect(rows[0]!.n).toBe(0);

    // Audited, without personal data.
    const entry = await t.db.selectFrom('audit_log').selectAll().where('target_id', '=', user.id).where('action', '=', 'user.deleted').executeTakeFirstOrThrow();
    expect(entry).toMatchObject({ actor_user_id: user.id, request_id: 'delete-me-1' });
    expect(JSON.stringify(entry)).not.toContain(user.email);

    // The email is free again: the person can register anew.
    const again = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: user.email, password: 'a brand new password', name: 'Jean Bosco' },
    });
    expect(again.statusCode).toBe(201);
  });

  it('refuses the only owner of an organizer with 409 sole_owner, changing nothing', async () => {
    const owner = await make.member({ role: 'owner' });
    const res = await t.app.inject({ method: 'DELETE', url: '/api/v1/me', headers: owner.auth, payload: { password: FACTORY_PASSWORD } });
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'sole_owner', organizers: [expect.objectContaining({ id: owner.organizerId })] });
    const row = await t.db.selectFrom('users').selectAll().where('id', '=', owner.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ email: owner.email, deleted_at: null, disabled_at: null });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: owner.auth })).statusCode).toBe(200);
  });
});
