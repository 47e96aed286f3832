import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import { bookingBody, newKey } from '../bookings/support.js';

/** A free TCP port on 127.0.0.1 (asked from the OS, then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** A real `tikiti serve` process on the test database (no in-process worker), ready to serve. */
export async function startServer(databaseUrl: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tikiti-proc-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve'], {
    cwd: path.resolve(import.meta.dirname, '../..'),
    env: {
      ...process.env,
      NODE_ENV: 'test',
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_MAX: '8',
      HOST: '127.0.0.1',
      PORT: String(port),
      WORKER_IN_PROCESS: 'false',
      // Many buyers from one address (the load generator): per-client rate limits would refuse them.
      RATE_LIMIT_ENABLED: 'false',
      SEED_DEMO: 'false',
      LOG_LEVEL: 'warn',
      LOG_PRETTY: 'false',
      TIKITI_DATA_DIR: dataDir,
      JWT_SECRET: 'test-secret-test-secret-test-secret-0123456789',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${out}`);
    try {
      const res = await request(`${url}/health/ready`);
      await res.body.text();
      if (res.statusCode === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server not ready in time:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    child,
    output: () => out,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface SaleAnswer {
  status: number;
  quantity: number;
  bookingId?: string;
  code?: string;
  error?: string;
}

/**
 * Fire `count` booking requests for one ticket type at once (quantities 1–4, unique keys),
 * spread round-robin over the given servers, through a keep-alive agent with many connections.
 */
export async function flashSale(
  urls: string[],
  o: { eventId: string; ticketTypeId: string; count: number; connections?: number; onAnswer?: (a: SaleAnswer, i: number) => void },
): Promise<SaleAnswer[]> {
  const agent = new Agent({ connections: o.connections ?? 200, keepAliveTimeout: 10_000 });
  try {
    return await Promise.all(
      Array.from({ length: o.count }, async (_, i) => {
        const quantity = 1 + (i % 4);
        let answer: SaleAnswer;
        try {
          const res = await request(`${urls[i % urls.length]}/api/v1/bookings`, {
            method: 'POST',
            dispatcher: agent,
            headers: { 'content-type': 'application/json', 'idempotency-key': newKey() },
            body: JSON.stringify(bookingBody(o.eventId, [{ ticketTypeId: o.ticketTypeId, quantity }])),
          });
          const json = (await res.body.json()) as { id?: string; code?: string };
          answer = { status: res.statusCode, quantity, bookingId: res.statusCode === 201 ? json.id : undefined, code: json.code };
        } catch (e) {
          answer = { status: 0, quantity, error: (e as Error).message };
        }
        o.onAnswer?.(answer, i);
        return answer;
      }),
    );
  } finally {
    await agent.close().catch(() => {});
  }
}
