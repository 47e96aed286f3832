import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseUrl } from '../helpers/testApp.js';

/**
 * `tikiti serve --processes 2` as an operator runs it: a real primary forking two children that
 * share one port, against the test database, with a (same-database) read replica configured.
 */
const root = path.resolve(import.meta.dirname, '../..');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** One request on a fresh connection (the cluster balances connections, not requests). */
function get(port: number, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
  });
}

async function livePids(port: number, n: number): Promise<Set<number>> {
  const pids = new Set<number>();
  for (let i = 0; i < n; i++) {
    const res = await get(port, '/health/live');
    expect(res.status).toBe(200);
    pids.add((JSON.parse(res.body) as { pid: number }).pid);
  }
  return pids;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

let child: ChildProcess;
let port: number;
let output = '';
let exited: Promise<number | null>;
let dataDir: string;

beforeAll(async () => {
  port = await freePort();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tikiti-cluster-'));
  child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve', '--processes', '2'], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      DATABASE_URL: testDatabaseUrl(),
      DATABASE_REPLICA_URL: testDatabaseUrl(),
      DATABASE_POOL_MAX: '4',
      HOST: '127.0.0.1',
      PORT: String(port),
      JWT_SECRET: crypto.randomBytes(32).toString('hex'),
      TIKITI_DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      LOG_PRETTY: 'false',
      RATE_LIMIT_ENABLED: 'false',
      SEED_DEMO: 'false',
      WORKER_IN_PROCESS: 'true',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (output = (output + d).slice(-20_000)));
  child.stderr!.on('data', (d) => (output = (output + d).slice(-20_000)));
  exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`serve --processes 2 exited ${child.exitCode}:\n${output}`);
    try {
      if ((await get(port, '/health/ready')).status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`not ready in time:\n${output}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}, 120_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGKILL');
    await exited;
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('serve --processes 2', () => {
  it('serves from two worker processes sharing one port, neither of them the primary', async () => {
    // The second child may still be starting when the first answers.
    const deadline = Date.now() + 30_000;
    let pids = new Set<number>();
    while (pids.size < 2 && Date.now() < deadline) pids = new Set([...pids, ...(await livePids(port, 20))]);
    expect(pids.size, output).toBe(2);
    expect(pids.has(child.pid!)).toBe(false);
    expect(output).toContain('Tikiti is up');
    expect(output.match(/Tikiti is up/g)).toHaveLength(1); // the banner once, from the primary
  });

  it('reads the catalogue from the replica pool (DATABASE_REPLICA_URL)', async () => {
    for (let i = 0; i < 6; i++) expect((await get(port, '/api/v1/events?limit=1')).status).toBe(200);
    const dbName = new URL(testDatabaseUrl()).pathname.slice(1);
    const client = new pg.Client({ connectionString: testDatabaseUrl() });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity where datname = $1 and application_name = 'tikiti-serve-replica'`,
        [dbName],
      );
      expect(rows[0]!.n).toBeGreaterThanOrEqual(1);
    } finally {
      await client.end();
    }
  });

  it('replaces a child that dies', async () => {
    const before = await livePids(port, 20);
    const victim = [...before][0]!;
    process.kill(victim, 'SIGKILL');
    const deadline = Date.now() + 60_000;
    let now = new Set<number>();
    while (Date.now() < deadline) {
      now = await livePids(port, 10).catch(() => new Set<number>());
      if (now.size === 2 && !now.has(victim)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(now.has(victim)).toBe(false);
    expect(now.size, output).toBe(2);
  }, 90_000);

  it('SIGTERM to the primary stops every child gracefully and exits 0', async () => {
    const pids = await livePids(port, 20);
    child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 40_000))]);
    expect(code, output).toBe(0);
    for (const pid of pids) expect(alive(pid)).toBe(false);
    await expect(get(port, '/health/live')).rejects.toThrow();
  }, 60_000);
});
