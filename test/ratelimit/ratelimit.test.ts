import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyRequest } from 'fastify';
import { testApp, testConfig, type TestApp } from '../helpers/testApp.js';
import { factories } from '../helpers/factories.js';
import { tierOf } from '../../src/platform/http/rateLimit.js';

let t: TestApp;
let make: ReturnType<typeof factories>;

beforeAll(async () => {
  t = await testApp({}, {
    RATE_LIMIT_ENABLED: 'true',
    RATE_LIMIT_GENERAL_MAX: '6',
    RATE_LIMIT_AUTH_MAX: '3',
    RATE_LIMIT_BOOKINGS_MAX: '2',
    RATE_LIMIT_BOOKINGS_WINDOW_SECONDS: '300',
  });
  make = factories(t.db, t.ctx.tokens);
});
afterAll(async () => {
  await t.close();
});

const login = (ip: string) =>
  t.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: ip, payload: { email: `nobody-${crypto.randomUUID()}@example.test`, password: 'wrong password!' } });

describe('tiered rate limits (in memory)', () => {
  it('login is limited per IP: the 4th attempt gets 429 problem+json with Retry-After', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await login('198.51.100.1');
      expect(res.statusCode).not.toBe(429);
      expect(res.headers['x-ratelimit-limit']).toBe('3');
      expect(res.headers['x-ratelimit-remaining']).toBe(String(2 - i));
    }
    const res = await login('198.51.100.1');
    expect(res.statusCode).toBe(429);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(850);
    expect(retryAfter).toBeLessThanOrEqual(900);
    expect(res.json()).toMatchObject({ status: 429, code: 'rate_limited', retryAfter });
    // Another client is not affected; register shares the auth tier with login.
    expect((await login('198.51.100.2')).statusCode).not.toBe(429);
    const register = await t.app.inject({ method: 'POST', url: '/api/v1/auth/register', remoteAddress: '198.51.100.1', payload: {} });
    expect(register.statusCode).toBe(429);
  });

  it('the general tier counts every other API call per client, and health, metrics and webhooks are exempt', async () => {
    const ip = '198.51.100.20';
    for (let i = 0; i < 6; i++) {
      expect((await t.app.inject({ url: '/api/v1/events', remoteAddress: ip })).statusCode).toBe(200);
    }
    const limited = await t.app.inject({ url: '/api/v1/events', remoteAddress: ip });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().code).toBe('rate_limited');
    // Unknown routes count too (scanners), webhooks and probes never do.
    for (let i = 0; i < 10; i++) {
      expect((await t.app.inject({ url: '/health/live', remoteAddress: ip })).statusCode).toBe(200);
      expect((await t.app.inject({ method: 'POST', url: '/api/v1/webhooks/momo', remoteAddress: ip, payload: {} })).statusCode).not.toBe(429);
    }
    expect((await t.app.inject({ url: '/metrics' })).statusCode).toBe(200);
  });

  it('bookings are limited per buyer (user id), not per IP', async () => {
    const a = await make.user();
    const b = await make.user();
    const ip = '198.51.100.30';
    const book = (headers: Record<string, string>) =>
      t.app.inject({ method: 'POST', url: '/api/v1/bookings', remoteAddress: ip, headers: { ...headers, 'idempotency-key': crypto.randomUUID() }, payload: {} });
    expect((await book(a.auth)).statusCode).toBe(400);
    expect((await book(a.auth)).statusCode).toBe(400);
    const third = await book(a.auth);
    expect(third.statusCode).toBe(429);
    expect(Number(third.headers['retry-after'])).toBeGreaterThan(250);
    // Same IP, another buyer: own budget.
    expect((await book(b.auth)).statusCode).toBe(400);
  });

  it('counts refusals by tier in /metrics', async () => {
    const text = (await t.app.inject({ url: '/metrics' })).body;
    expect(text).toMatch(/^tikiti_rate_limited_total\{tier="auth"\} 2$/m);
    expect(text).toMatch(/^tikiti_rate_limited_total\{tier="bookings"\} 1$/m);
  });

  it('RATE_LIMIT_ENABLED=false turns them off', async () => {
    const off = await testApp({}, { RATE_LIMIT_AUTH_MAX: '1' });
    try {
      for (let i = 0; i < 3; i++) {
        const res = await off.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: {} });
        expect(res.statusCode).toBe(400);
        expect(res.headers['x-ratelimit-limit']).toBeUndefined();
      }
    } finally {
      await off.close();
    }
  });
});

describe('tierOf', () => {
  const config = testConfig();
  const req = (method: string, url: string, route?: string, rateLimitTier?: string) =>
    ({ method, url, routeOptions: { url: route, config: rateLimitTier ? { rateLimitTier } : {} } }) as unknown as FastifyRequest;

  it('picks the tier from the route template and method', () => {
    expect(tierOf(req('POST', '/api/v1/auth/login', '/api/v1/auth/login'), config)).toBe('auth');
    expect(tierOf(req('POST', '/api/v1/auth/register', '/api/v1/auth/register'), config)).toBe('auth');
    expect(tierOf(req('POST', '/api/v1/auth/refresh', '/api/v1/auth/refresh'), config)).toBe('general');
    expect(tierOf(req('POST', '/api/v1/bookings', '/api/v1/bookings'), config)).toBe('bookings');
    expect(tierOf(req('GET', '/api/v1/bookings', '/api/v1/bookings'), config)).toBe('general');
    expect(tierOf(req('POST', '/api/v1/bookings/x/payments', '/api/v1/bookings/:id/payments'), config)).toBe('payments');
    expect(tierOf(req('GET', '/api/v1/bookings/x/payments', '/api/v1/bookings/:id/payments'), config)).toBe('general');
    expect(tierOf(req('POST', '/api/v1/webhooks/stripe', '/api/v1/webhooks/stripe'), config)).toBeNull();
    expect(tierOf(req('POST', '/api/v1/webhooks/nope', undefined), config)).toBeNull();
    expect(tierOf(req('GET', '/health/ready', '/health/ready'), config)).toBeNull();
    expect(tierOf(req('GET', '/metrics', '/metrics'), config)).toBeNull();
    expect(tierOf(req('POST', `${config.SANDBOX_PREFIX}/collection/v1_0/requesttopay`, `${config.SANDBOX_PREFIX}/collection/v1_0/requesttopay`), config)).toBeNull();
    expect(tierOf(req('GET', '/nope', undefined), config)).toBe('general');
  });

  it('lets a route choose its tier with config.rateLimitTier', () => {
    expect(tierOf(req('POST', '/api/v1/checkout', '/api/v1/checkout', 'payments'), config)).toBe('payments');
    expect(tierOf(req('POST', '/api/v1/auth/login', '/api/v1/auth/login', 'none'), config)).toBeNull();
  });
});
