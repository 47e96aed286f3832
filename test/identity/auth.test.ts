import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { testApp, type TestApp } from '../helpers/testApp.js';
import { factories, FACTORY_PASSWORD } from '../helpers/factories.js';
import { Tokens } from '../../src/modules/identity/tokens.js';
import { newAccount, post } from './helpers.js';

let t: TestApp;
let make: ReturnType<typeof factories>;
beforeAll(async () => {
  t = await testApp();
  make = factories(t.db, t.ctx.tokens);
});
afterAll(async () => {
  await t.close();
});

const me = (accessToken: string) => t.app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${accessToken}` } });

describe('register', () => {
  it('creates an account, opens a session and stores an argon2id hash', async () => {
    const body = newAccount({ email: '  New.Person@Example.TEST ' });
    const res = await post(t, '/api/v1/auth/register', body);
    expect(res.statusCode).toBe(201);
    const session = res.json();
    expect(session.user).toMatchObject({ email: body.email.trim().toLowerCase(), name: body.name, isAdmin: false });
    expect(session.tokenType).toBe('Bearer');
    expect(session.expiresIn).toBe(900);
    expect(typeof session.accessToken).toBe('string');
    expect(session.refreshToken).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    const ttl = new Date(session.refreshTokenExpiresAt).getTime() - Date.now();
    expect(ttl).toBeGreaterThan(7 * 24 * 3600 * 1000 - 60_000);
    expect(ttl).toBeLessThanOrEqual(7 * 24 * 3600 * 1000 + 5_000);

    const row = await t.db.selectFrom('users').selectAll().where('id', '=', session.user.id).executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
    expect(row.password_hash).not.toContain(body.password);
    // Refresh tokens are stored hashed, never as given.
    const tokens = await t.db.selectFrom('refresh_tokens').selectAll().where('user_id', '=', row.id).execute();
    expect(tokens).toHaveLength(1);
    expect(tokens[0]!.token_hash).toBe(Tokens.hash(session.refreshToken));
    expect(tokens[0]!.token_hash).not.toBe(session.refreshToken);

    const who = await me(session.accessToken);
    expect(who.statusCode).toBe(200);
    expect(who.json()).toMatchObject({ id: session.user.id, email: session.user.email, isAdmin: false, memberships: [] });
  });

  it('refuses an email already taken, whatever its case', async () => {
    const body = newAccount();
    expect((await post(t, '/api/v1/auth/register', body)).statusCode).toBe(201);
    const again = await post(t, '/api/v1/auth/register', { ...newAccount(), email: body.email.toUpperCase() });
    expect(again.statusCode).toBe(409);
    expect(again.headers['content-type']).toContain('application/problem+json');
    expect(again.json()).toMatchObject({ code: 'email_taken', status: 409 });
  });

  it('gives one account to concurrent registrations of the same email', async () => {
    const body = newAccount();
    const results = await Promise.all([1, 2, 3].map(() => post(t, '/api/v1/auth/register', body)));
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409, 409]);
    const rows = await t.db.selectFrom('users').select('id').where('email', '=', body.email).execute();
    expect(rows).toHaveLength(1);
  });

  it('requires a password of at least 10 characters', async () => {
    const short = await post(t, '/api/v1/auth/register', newAccount({ password: '123456789' }));
    expect(short.statusCode).toBe(400);
    expect(short.json()).toMatchObject({ code: 'validation_failed' });
    expect(short.json().errors).toEqual([expect.objectContaining({ field: 'password' })]);
    const ok = await post(t, '/api/v1/auth/register', newAccount({ password: '1234567890' }));
    expect(ok.statusCode).toBe(201);
  });
});

describe('login', () => {
  it('logs in with the right password, whatever the case of the email', async () => {
    const body = newAccount();
    await post(t, '/api/v1/auth/register', body);
    const res = await post(t, '/api/v1/auth/login', { email: ` ${body.email.toUpperCase()} `, password: body.password });
    expect(res.statusCode).toBe(200);
    expect(res.json().user.email).toBe(body.email);
    expect((await me(res.json().accessToken)).statusCode).toBe(200);
  });

  it('answers an unknown email exactly like a wrong password', async () => {
    const user = await make.user();
    const wrongPassword = await post(t, '/api/v1/auth/login', { email: user.email, password: 'not the password' });
    const unknownEmail = await post(t, '/api/v1/auth/login', { email: `nobody-${user.id}@example.test`, password: FACTORY_PASSWORD });
    for (const res of [wrongPassword, unknownEmail]) {
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    const strip = (b: Record<string, unknown>) => ({ ...b, requestId: undefined });
    expect(strip(wrongPassword.json())).toEqual(strip(unknownEmail.json()));
    expect(wrongPassword.json().code).toBe('invalid_credentials');
  });

  it('refuses a disabled account, even with the right password', async () => {
    const user = await make.user();
    await t.db.updateTable('users').set({ disabled_at: new Date() }).where('id', '=', user.id).execute();
    const res = await post(t, '/api/v1/auth/login', { email: user.email, password: FACTORY_PASSWORD });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('account_disabled');
    const wrong = await post(t, '/api/v1/auth/login', { email: user.email, password: 'not the password' });
    expect(wrong.json().code).toBe('invalid_credentials');
  });
});

describe('me', () => {
  it('shows platform admin and organizer memberships', async () => {
    const admin = await make.admin();
    const adminMe = await me(admin.accessToken);
    expect(adminMe.json()).toMatchObject({ id: admin.id, isAdmin: true, memberships: [] });

    const owner = await make.member({ role: 'owner' });
    const org = await t.db.selectFrom('organizers').selectAll().where('id', '=', owner.organizerId).executeTakeFirstOrThrow();
    const other = await make.organizer({ name: 'Aaa First Alphabetically' });
    await t.db.insertInto('organizer_members').values({ organizer_id: other.id, user_id: owner.id, role: 'gate' }).execute();
    const res = await me(owner.accessToken);
    expect(res.statusCode).toBe(200);
    expect(res.json().memberships).toEqual([
      { organizerId: other.id, organizerName: other.name, role: 'gate' },
      { organizerId: org.id, organizerName: org.name, role: 'owner' },
    ]);
  });

  it('needs a token', async () => {
    const res = await t.app.inject({ url: '/api/v1/me' });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('unauthenticated');
  });

  it.each([
    ['garbage', 'Bearer not-a-jwt'],
    ['not a bearer scheme', 'Basic dXNlcjpwYXNz'],
  ])('refuses a malformed token (%s) with 401 invalid_token', async (_name, authorization) => {
    const res = await t.app.inject({ url: '/api/v1/me', headers: { authorization } });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('invalid_token');
  });

  it('refuses an expired token and one signed with another secret', async () => {
    const user = await make.user();
    const sign = (secret: string, exp: number) =>
      new SignJWT({ adm: false })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(user.id)
        .setIssuer('tikiti')
        .setAudience('tikiti-api')
        .setIssuedAt(exp - 900)
        .setExpirationTime(exp)
        .sign(new TextEncoder().encode(secret));
    const now = Math.floor(Date.now() / 1000);
    const expired = await sign(t.config.JWT_SECRET!, now - 60);
    const forged = await sign('another-secret-another-secret-another-secret', now + 600);
    const valid = await sign(t.config.JWT_SECRET!, now + 600);
    expect((await me(valid)).statusCode).toBe(200); // the helper signs real tokens…
    for (const token of [expired, forged]) {
      const res = await me(token); // …so these fail for the reason under test
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('invalid_token');
    }
  });

  it('refuses a still-valid access token of a disabled account', async () => {
    const user = await make.user();
    await t.db.updateTable('users').set({ disabled_at: new Date() }).where('id', '=', user.id).execute();
    const res = await me(user.accessToken);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('invalid_token');
  });
});

describe('refresh and logout', () => {
  async function session() {
    const res = await post(t, '/api/v1/auth/register', newAccount());
    expect(res.statusCode).toBe(201);
    return res.json() as { user: { id: string }; accessToken: string; refreshToken: string };
  }
  const refresh = (refreshToken: string) => post(t, '/api/v1/auth/refresh', { refreshToken });

  it('rotates the refresh token on every use', async () => {
    const s0 = await session();
    const r1 = await refresh(s0.refreshToken);
    expect(r1.statusCode).toBe(200);
    const s1 = r1.json();
    expect(s1.refreshToken).not.toBe(s0.refreshToken);
    expect(s1.user.id).toBe(s0.user.id);
    expect((await me(s1.accessToken)).statusCode).toBe(200);
    const r2 = await refresh(s1.refreshToken);
    expect(r2.statusCode).toBe(200);
    const family = await t.db.selectFrom('refresh_tokens').selectAll().where('user_id', '=', s0.user.id).orderBy('created_at').execute();
    expect(family).toHaveLength(3);
    expect(new Set(family.map((f) => f.family_id)).size).toBe(1);
    expect(family.map((f) => f.rotated_at !== null)).toEqual([true, true, false]);
  });

  it('treats a reused refresh token as theft and revokes the whole family', async () => {
    const s0 = await session();
    const s1 = (await refresh(s0.refreshToken)).json();
    const s2 = (await refresh(s1.refreshToken)).json();

    const replay = await refresh(s0.refreshToken);
    expect(replay.statusCode).toBe(401);
    expect(replay.json().code).toBe('refresh_token_reused');
    // The newest token, held by whoever rotated last, is dead too.
    const after = await refresh(s2.refreshToken);
    expect(after.statusCode).toBe(401);
    expect(after.json().code).toBe('invalid_refresh_token');
    const live = await t.db.selectFrom('refresh_tokens').select('id').where('user_id', '=', s0.user.id).where('revoked_at', 'is', null).execute();
    expect(live).toHaveLength(0);
  });

  it('lets only one of many concurrent uses of a token rotate it', async () => {
    const s0 = await session();
    const results = await Promise.all(Array.from({ length: 8 }, () => refresh(s0.refreshToken)));
    const ok = results.filter((r) => r.statusCode === 200);
    expect(ok).toHaveLength(1);
    for (const r of results.filter((r) => r.statusCode !== 200)) {
      expect(r.statusCode).toBe(401);
      expect(['refresh_token_reused', 'invalid_refresh_token']).toContain(r.json().code);
    }
    const rotatedFrom = await t.db
      .selectFrom('refresh_tokens')
      .select('id')
      .where('user_id', '=', s0.user.id)
      .where('token_hash', '!=', Tokens.hash(s0.refreshToken))
      .execute();
    expect(rotatedFrom).toHaveLength(1);
    // The replays revoked the family, including the token issued to the winner.
    const live = await t.db.selectFrom('refresh_tokens').select('id').where('user_id', '=', s0.user.id).where('revoked_at', 'is', null).execute();
    expect(live).toHaveLength(0);
  });

  it('refuses unknown and expired refresh tokens', async () => {
    const unknown = await refresh('definitely-not-a-token');
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json().code).toBe('invalid_refresh_token');

    const s0 = await session();
    await t.db
      .updateTable('refresh_tokens')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('token_hash', '=', Tokens.hash(s0.refreshToken))
      .execute();
    const expired = await refresh(s0.refreshToken);
    expect(expired.statusCode).toBe(401);
    expect(expired.json().code).toBe('invalid_refresh_token');
  });

  it('does not refresh the session of a disabled account', async () => {
    const s0 = await session();
    await t.db.updateTable('users').set({ disabled_at: new Date() }).where('id', '=', s0.user.id).execute();
    const res = await refresh(s0.refreshToken);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('invalid_refresh_token');
  });

  it('logout revokes the session family and is idempotent', async () => {
    const s0 = await session();
    const s1 = (await refresh(s0.refreshToken)).json();
    // Another login of the same user is a separate family and survives.
    const other = await session();

    const out = await post(t, '/api/v1/auth/logout', { refreshToken: s1.refreshToken });
    expect(out.statusCode).toBe(204);
    expect(out.body).toBe('');
    const res = await refresh(s1.refreshToken);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('invalid_refresh_token');

    expect((await post(t, '/api/v1/auth/logout', { refreshToken: s1.refreshToken })).statusCode).toBe(204);
    expect((await post(t, '/api/v1/auth/logout', { refreshToken: 'never-issued' })).statusCode).toBe(204);
    expect((await refresh(other.refreshToken)).statusCode).toBe(200);
  });

  it('keeps a family per login: logging out one device leaves the others signed in', async () => {
    const body = newAccount();
    await post(t, '/api/v1/auth/register', body);
    const phone = (await post(t, '/api/v1/auth/login', { email: body.email, password: body.password })).json();
    const laptop = (await post(t, '/api/v1/auth/login', { email: body.email, password: body.password })).json();
    expect((await post(t, '/api/v1/auth/logout', { refreshToken: phone.refreshToken })).statusCode).toBe(204);
    expect((await refresh(phone.refreshToken)).statusCode).toBe(401);
    expect((await refresh(laptop.refreshToken)).statusCode).toBe(200);
  });
});
