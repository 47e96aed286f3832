import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import { testApp, type TestApp } from '../helpers/testApp.js';
import { isAppError } from '../../src/platform/errors.js';
import { post } from './helpers.js';

/** The entry points used outside HTTP: the CLI (`admin create`) and the seed (`ensureUser`). */
let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(async () => {
  await t.close();
});

const email = () => `Op-${crypto.randomBytes(4).toString('hex')}@Example.test`;

describe('IdentityService.createAdmin', () => {
  it('creates a platform admin who can log in', async () => {
    const e = email();
    const admin = await t.ctx.identity.createAdmin({ email: e, password: 'admin password 1', name: 'Operator' });
    expect(admin.email).toBe(e.toLowerCase());
    const res = await post(t, '/api/v1/auth/login', { email: e, password: 'admin password 1' });
    expect(res.statusCode).toBe(200);
    expect(res.json().user).toMatchObject({ id: admin.id, isAdmin: true });
  });

  it('promotes an existing account, sets its password and ends its old sessions', async () => {
    const e = email();
    const reg = (await post(t, '/api/v1/auth/register', { email: e, password: 'old password 12', name: 'Someone' })).json();
    const admin = await t.ctx.identity.createAdmin({ email: e.toUpperCase(), password: 'new password 34', name: 'Ignored' });
    expect(admin.id).toBe(reg.user.id);
    expect((await post(t, '/api/v1/auth/login', { email: e, password: 'old password 12' })).statusCode).toBe(401);
    const res = await post(t, '/api/v1/auth/login', { email: e, password: 'new password 34' });
    expect(res.json().user).toMatchObject({ isAdmin: true, name: 'Someone' });
    expect((await post(t, '/api/v1/auth/refresh', { refreshToken: reg.refreshToken })).statusCode).toBe(401);
  });

  it('refuses a short password or a bad email with field errors', async () => {
    const err = await t.ctx.identity.createAdmin({ email: 'nope', password: 'short', name: 'X' }).catch((e: unknown) => e);
    expect(isAppError(err)).toBe(true);
    if (!isAppError(err)) return;
    expect(err.code).toBe('validation_failed');
    expect(err.fieldErrors?.map((f) => f.field).sort()).toEqual(['email', 'password']);
  });
});

describe('IdentityService.ensureUser', () => {
  it('creates the user once and returns the same row after', async () => {
    const e = email();
    const first = await t.ctx.identity.ensureUser({ email: e, password: 'demo password 1', name: 'Demo Buyer' });
    const again = await t.ctx.identity.ensureUser({ email: e.toLowerCase(), password: 'another password', name: 'Other', isAdmin: true });
    expect(again.id).toBe(first.id);
    expect(again.is_admin).toBe(false);
    expect(first.email).toBe(e.toLowerCase());
    expect((await post(t, '/api/v1/auth/login', { email: e, password: 'demo password 1' })).statusCode).toBe(200);
  });

  it('is safe to run concurrently', async () => {
    const e = email();
    const rows = await Promise.all([1, 2, 3].map(() => t.ctx.identity.ensureUser({ email: e, password: 'demo password 1', name: 'Demo', isAdmin: true })));
    expect(new Set(rows.map((r) => r.id)).size).toBe(1);
    expect(rows[0]!.is_admin).toBe(true);
  });
});
