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

describe('GET /health/detailed', () => {
  it('refuses anonymous callers (401) and non-admins (403) with problem+json', async () => {
    const anon = await t.app.inject({ url: '/health/detailed' });
    expect(anon.statusCode).toBe(401);
    expect(anon.json().code).toBe('unauthenticated');
    const user = await make.user();
    const res = await t.app.inject({ url: '/health/detailed', headers: user.auth });
    expect(res.statusCode).toBe(403);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.json().code).toBe('forbidden');
  });

  it('shows an admin the database, migrations, job backlog, Redis and providers', async () => {
    const admin = await make.admin();
    const res = await t.app.inject({ url: '/health/detailed', headers: admin.auth });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.status).toBe('ok');
    expect(body.database.up).toBe(true);
    expect(body.database.latencyMs).toBeGreaterThanOrEqual(0);
    expect(body.migrations.pending).toEqual([]);
    expect(body.jobs).toMatchObject({ ready: expect.any(Number), failed: expect.any(Number), byTask: expect.any(Array) });
    expect(body.redis).toEqual({ status: 'not_configured', latencyMs: null });
    expect(body.rateLimits.store).toBe('disabled');
    // The payments module registers its providers' breakers; the default config has the momo sandbox.
    expect(body.providers).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'momo', state: 'closed' })]));
  });

  it('lists the breaker states the payments module registers, and an open breaker degrades the status', async () => {
    const admin = await make.admin();
    t.ctx.health.setProviderStates(async () => [
      { name: 'momo', state: 'open', details: { failures: 7 } },
      { name: 'stripe', state: 'closed' },
    ]);
    try {
      const body = (await t.app.inject({ url: '/health/detailed', headers: admin.auth })).json();
      expect(body.providers).toEqual([
        { name: 'momo', state: 'open', details: { failures: 7 } },
        { name: 'stripe', state: 'closed' },
      ]);
      expect(body.status).toBe('degraded');
    } finally {
      t.ctx.health.setProviderStates(() => []);
    }
  });

  it('reports Redis when REDIS_URL is set, and down when it cannot be reached', async () => {
    const up = await testApp({}, { REDIS_URL: 'redis://127.0.0.1:6379' });
    const down = await testApp({}, { REDIS_URL: 'redis://127.0.0.1:1' });
    try {
      const admin = await make.admin();
      const a = (await up.app.inject({ url: '/health/detailed', headers: admin.auth })).json();
      expect(a.redis.status).toBe('up');
      expect(a.redis.latencyMs).toBeGreaterThanOrEqual(0);
      const b = (await down.app.inject({ url: '/health/detailed', headers: admin.auth })).json();
      expect(b.redis).toEqual({ status: 'down', latencyMs: null });
      expect(b.status).toBe('degraded');
    } finally {
      await up.close();
      await down.close();
    }
  });
});
