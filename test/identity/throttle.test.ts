import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../helpers/testApp.js';
import { factories, FACTORY_PASSWORD } from '../helpers/factories.js';
import { freshIp, post } from './helpers.js';

/** Throttling of failed logins, per account (LOGIN_MAX_FAILURES) and per IP (LOGIN_MAX_FAILURES_PER_IP). */
let t: TestApp;
let make: ReturnType<typeof factories>;
beforeAll(async () => {
  t = await testApp({ LOGIN_MAX_FAILURES: 5, LOGIN_MAX_FAILURES_PER_IP: 8, LOGIN_FAILURE_WINDOW_SECONDS: 900 });
  make = factories(t.db, t.ctx.tokens);
});
afterAll(async () => {
  await t.close();
});

const login = (email: string, password: string, ip?: string) => post(t, '/api/v1/auth/login', { email, password }, { ip });

function expectThrottled(res: Awaited<ReturnType<typeof login>>, maxSeconds: number) {
  expect(res.statusCode).toBe(429);
  expect(res.headers['content-type']).toContain('application/problem+json');
  expect(res.json().code).toBe('login_throttled');
  const retryAfter = Number(res.headers['retry-after']);
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(maxSeconds);
  expect(res.json().retryAfter).toBe(retryAfter);
}

describe('login throttling', () => {
  it('throttles an account after too many failures, from any IP, even with the right password', async () => {
    const user = await make.user();
    for (let i = 0; i < 5; i++) {
      const res = await login(user.email, `wrong password ${i}`); // each from a new IP
      expect(res.statusCode).toBe(401);
    }
    expectThrottled(await login(user.email, 'wrong again'), 900);
    expectThrottled(await login(user.email.toUpperCase(), FACTORY_PASSWORD), 900);
    // Other accounts are unaffected.
    const other = await make.user();
    expect((await login(other.email, FACTORY_PASSWORD)).statusCode).toBe(200);
  });

  it('does not extend the lock-out with refused attempts', async () => {
    const user = await make.user();
    for (let i = 0; i < 5; i++) await login(user.email, 'wrong password');
    for (let i = 0; i < 3; i++) expect((await login(user.email, 'wrong password')).statusCode).toBe(429);
    const failures = await t.db.selectFrom('login_failures').select('id').where('email', '=', user.email).execute();
    expect(failures).toHaveLength(5);
  });

  it('throttles an unknown email the same way, so throttling reveals nothing either', async () => {
    const email = `nobody-${Date.now()}-${Math.random()}@example.test`;
    for (let i = 0; i < 5; i++) expect((await login(email, 'some password')).json().code).toBe('invalid_credentials');
    expectThrottled(await login(email, 'some password'), 900);
  });

  it('forgets an account’s failures after a successful login', async () => {
    const user = await make.user();
    for (let i = 0; i < 4; i++) expect((await login(user.email, 'wrong password')).statusCode).toBe(401);
    expect((await login(user.email, FACTORY_PASSWORD)).statusCode).toBe(200);
    for (let i = 0; i < 4; i++) expect((await login(user.email, 'wrong password')).statusCode).toBe(401);
    expect((await login(user.email, FACTORY_PASSWORD)).statusCode).toBe(200);
  });

  it('throttles an IP that fails across many accounts, and only that IP', async () => {
    const ip = freshIp();
    for (let i = 0; i < 8; i++) {
      const user = await make.user();
      expect((await login(user.email, 'wrong password', ip)).statusCode).toBe(401);
    }
    const victim = await make.user();
    expectThrottled(await login(victim.email, FACTORY_PASSWORD, ip), 900);
    expect((await login(victim.email, FACTORY_PASSWORD, freshIp())).statusCode).toBe(200);
  });

  it('lets at most the allowed number of guesses through a parallel burst', async () => {
    const user = await make.user();
    const results = await Promise.all(Array.from({ length: 15 }, (_, i) => login(user.email, `guess ${i}`)));
    const statuses = results.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 401).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
  });
});

describe('login throttling window', () => {
  let short: TestApp;
  beforeAll(async () => {
    short = await testApp({ LOGIN_MAX_FAILURES: 2, LOGIN_FAILURE_WINDOW_SECONDS: 2 });
  });
  afterAll(async () => {
    await short.close();
  });

  it('lifts the throttle once Retry-After has passed', async () => {
    const user = await factories(short.db, short.ctx.tokens).user();
    const attempt = (password: string) => post(short, '/api/v1/auth/login', { email: user.email, password });
    expect((await attempt('wrong password')).statusCode).toBe(401);
    expect((await attempt('wrong password')).statusCode).toBe(401);
    const throttled = await attempt(FACTORY_PASSWORD);
    expect(throttled.statusCode).toBe(429);
    const retryAfter = Number(throttled.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(2);
    await new Promise((r) => setTimeout(r, retryAfter * 1000 + 100));
    expect((await attempt(FACTORY_PASSWORD)).statusCode).toBe(200);
  });
});
