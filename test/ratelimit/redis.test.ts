import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { testApp, testDatabaseUrl, type TestApp } from '../helpers/testApp.js';

/**
 * Rate limits shared through Redis: two real server processes on the machine's Redis
 * (127.0.0.1:6379), and a Redis of our own that goes away mid-run and comes back.
 */
const MACHINE_REDIS = 'redis://127.0.0.1:6379';
const children: ChildProcess[] = [];
const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;
const machineRedisUp = await new Promise<boolean>((resolve) => {
  const sock = net.connect(6379, '127.0.0.1', () => {
    sock.destroy();
    resolve(true);
  });
  sock.on('error', () => resolve(false));
});
if (!hasRedisServer) console.warn('redis-server is not installed: skipping the Redis rate-limit tests (apt-get install redis-server)');

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

async function startServer(port: number, env: Record<string, string>): Promise<{ base: string; output: () => string }> {
  let out = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve'], {
    cwd: path.resolve('.'),
    env: {
      ...process.env,
      NODE_ENV: 'test',
      DATABASE_URL: testDatabaseUrl(),
      TIKITI_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'tikiti-rl-')),
      JWT_SECRET: 'test-secret-test-secret-test-secret-0123456789',
      HOST: '127.0.0.1',
      PORT: String(port),
      WORKER_IN_PROCESS: 'false',
      SEED_DEMO: 'false',
      LOG_LEVEL: 'warn',
      LOG_PRETTY: 'false',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`server on ${port} (${out})`, async () => {
    if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${out}`);
    return (await fetch(`${base}/health/ready`)).ok;
  });
  return { base, output: () => out };
}

async function startRedis(port: number): Promise<ChildProcess> {
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], {
    stdio: 'ignore',
  });
  children.push(proc);
  const probe = new Redis(`redis://127.0.0.1:${port}`, { lazyConnect: true, retryStrategy: () => null });
  probe.on('error', () => {});
  await waitFor('redis-server', async () => {
    try {
      await probe.connect();
      return (await probe.ping()) === 'PONG';
    } catch {
      probe.disconnect();
      return false;
    }
  }, 15_000);
  probe.disconnect();
  return proc;
}

const loginOver = (base: string) =>
  fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    // A fresh address each time: identity's own per-account failure throttle must not interfere.
    body: JSON.stringify({ email: `nobody-${crypto.randomUUID()}@example.test`, password: 'wrong password!' }),
  });

describe.skipIf(!hasRedisServer && !machineRedisUp)('rate limits shared through Redis', () => {
  it('two server processes share one limit', async () => {
    // The machine's Redis, or one of our own when none is running here.
    let redisUrl = MACHINE_REDIS;
    if (!machineRedisUp) {
      const port = await freePort();
      await startRedis(port);
      redisUrl = `redis://127.0.0.1:${port}`;
    }
    const prefix = `tikiti-test:${crypto.randomBytes(6).toString('hex')}:`;
    // Identity's own per-IP failure throttle (shared test database, all from 127.0.0.1) stays out of the way.
    const env = { REDIS_URL: redisUrl, RATE_LIMIT_AUTH_MAX: '4', RATE_LIMIT_REDIS_PREFIX: prefix, LOGIN_MAX_FAILURES_PER_IP: '1000000' };
    const [pa, pb] = [await freePort(), await freePort()];
    const [a, b] = await Promise.all([startServer(pa, env), startServer(pb, env)]);
    const redis = new Redis(redisUrl);
    try {
      // 4 attempts in all, alternating between the processes, are allowed; the 5th is refused on either.
      const statuses: number[] = [];
      for (const base of [a.base, b.base, a.base, b.base]) statuses.push((await loginOver(base)).status);
      expect(statuses.every((s) => s !== 429), `statuses ${statuses.join(',')}`).toBe(true);
      const refusedA = await loginOver(a.base);
      const refusedB = await loginOver(b.base);
      expect(refusedA.status).toBe(429);
      expect((await refusedA.json()).code).toBe('rate_limited');
      expect(refusedB.status).toBe(429);
      expect(Number(refusedB.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await refusedB.json()).code).toBe('rate_limited');
      // The counter lives in Redis under this run's prefix.
      const keys = await redis.keys(`${prefix}*`);
      expect(keys).toEqual([`${prefix}auth:ip:127.0.0.1`]);
      expect(Number(await redis.get(keys[0]!))).toBe(6);
    } finally {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    }
  }, 120_000);
});

describe.skipIf(!hasRedisServer)('when Redis goes away mid-run', () => {
  let t: TestApp | undefined;
  let redisProc: ChildProcess | undefined;
  afterAll(async () => {
    await t?.close();
    if (redisProc && redisProc.exitCode === null) redisProc.kill('SIGKILL');
  });

  it('keeps serving on in-memory limits, logs and counts it, then uses Redis again when it returns', async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    redisProc = await startRedis(port);
    t = await testApp({}, { REDIS_URL: url, RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_AUTH_MAX: '3' });
    const app = t.app;
    const login = (ip: string) =>
      app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: ip, payload: { email: `x-${crypto.randomUUID()}@example.test`, password: 'wrong password!' } });
    const fallbacks = async () => {
      const m = /^tikiti_rate_limit_redis_fallbacks_total (\d+)$/m.exec((await app.inject({ url: '/metrics' })).body);
      return Number(m?.[1]);
    };

    await waitFor('Redis in use', async () => app.rateLimitStore() === 'redis', 10_000);
    expect((await login('192.0.2.1')).statusCode).toBe(401);
    let direct = new Redis(url);
    expect(await direct.get('tikiti:rl:auth:ip:192.0.2.1')).toBe('1');
    direct.disconnect();
    expect(await fallbacks()).toBe(0);

    // Redis goes away.
    redisProc.kill('SIGKILL');
    await new Promise<void>((r) => redisProc!.once('exit', () => r()));
    await waitFor('fallback to memory', async () => app.rateLimitStore() === 'memory', 10_000);
    // Still serving, and still limiting — in memory now.
    const during = [];
    for (let i = 0; i < 4; i++) during.push((await login('192.0.2.2')).statusCode);
    expect(during).toEqual([401, 401, 401, 429]);
    expect((await app.inject({ url: '/api/v1/events' })).statusCode).toBe(200);
    expect(await fallbacks()).toBeGreaterThanOrEqual(5);
    const health = await app.inject({ url: '/metrics' });
    expect(health.body).toMatch(/^tikiti_rate_limit_redis_up 0$/m);

    // Redis comes back (empty, on the same port): the limiter reconnects and counts there again.
    redisProc = await startRedis(port);
    await waitFor('Redis back in use', async () => app.rateLimitStore() === 'redis', 15_000);
    const before = await fallbacks();
    expect((await login('192.0.2.3')).statusCode).toBe(401);
    direct = new Redis(url);
    expect(await direct.get('tikiti:rl:auth:ip:192.0.2.3')).toBe('1');
    direct.disconnect();
    expect(await fallbacks()).toBe(before);
    expect((await app.inject({ url: '/metrics' })).body).toMatch(/^tikiti_rate_limit_redis_up 1$/m);
  }, 120_000);
});
