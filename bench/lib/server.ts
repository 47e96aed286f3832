/** Start Tikiti (`serve`, and optionally a separate `worker`) for benchmarks. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';

export const root = path.resolve(import.meta.dirname, '../..');
/** A progress logger on stderr, `[tag] msg` (stdout is kept for the one JSON line). */
export const logger = (tag: string) => (msg: string) => process.stderr.write(`[${tag}] ${msg}\n`);
export const log = logger('bench');

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

/** `npm run build` (tsc to dist/), once per benchmark run. */
export function build(): void {
  log('building (npm run build)…');
  const b = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (b.status !== 0) throw new Error('build failed');
}

interface Process {
  child: ChildProcess;
  /** The last 4,000 characters the process wrote to stderr. */
  stderr(): string;
  /** SIGTERM (if still running), then wait for the exit. */
  stop(): Promise<void>;
}

export interface Server extends Process {
  url: string;
  /** The Tikiti settings it was started with (without the inherited process.env): reuse for a worker. */
  env: Record<string, string>;
  /** Peak resident memory of the server process (MB), from /proc. */
  peakRssMb(): number;
}

export interface StartOptions {
  /** CLI arguments after `serve` (e.g. `--processes 2`). */
  args?: string[];
  /** Run the TypeScript source (`node --import tsx src/main.ts`) instead of the build in dist/. */
  source?: boolean;
  /** How long to wait for /health/ready: default 60 s for the build, 90 s for the source. */
  readyTimeoutMs?: number;
}

/** `node dist/main.js <role> …` (or the source through tsx) with `env` over process.env; stdout ignored. */
function spawnTikiti(role: 'serve' | 'worker', env: Record<string, string>, o: { args?: string[]; source?: boolean }): Process {
  const entry = o.source ? ['--import', 'tsx', 'src/main.ts'] : ['dist/main.js'];
  const child = spawn(process.execPath, [...entry, role, ...(o.args ?? [])], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => (err = (err + d).slice(-4000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    child,
    stderr: () => err,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * One `serve` on a free port against `databaseUrl`, production mode, rate limits off (one load
 * generator address), no demo seed, no in-process worker; resolves when /health/ready answers 200.
 * `env` overrides the defaults.
 */
export async function startServer(databaseUrl: string, env: Record<string, string>, o: StartOptions = {}): Promise<Server> {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tikiti-bench-'));
  const tikitiEnv: Record<string, string> = {
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    HOST: '127.0.0.1',
    PORT: String(port),
    WORKER_IN_PROCESS: 'false',
    // Many buyers from one address (the load generator): per-client rate limits would refuse them.
    RATE_LIMIT_ENABLED: 'false',
    SEED_DEMO: 'false',
    LOG_LEVEL: 'warn',
    LOG_PRETTY: 'false',
    TIKITI_DATA_DIR: dataDir,
    JWT_SECRET: crypto.randomBytes(32).toString('hex'),
    ...env,
  };
  const proc = spawnTikiti('serve', tikitiEnv, o);
  const { child } = proc;
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (o.readyTimeoutMs ?? (o.source ? 90_000 : 60_000));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`server exited:\n${proc.stderr()}`);
      try {
        const res = await request(`${url}/health/ready`);
        await res.body.text();
        if (res.statusCode === 200) break;
      } catch {
        /* not yet */
      }
      if (Date.now() > deadline) throw new Error(`server not ready:\n${proc.stderr()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (e) {
    await proc.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  return {
    ...proc,
    url,
    env: tikitiEnv,
    peakRssMb() {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        return m ? Math.round(Number(m[1]) / 1024) : 0;
      } catch {
        return 0;
      }
    },
    async stop() {
      await proc.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A separate `worker` process with the server's settings plus `env` (e.g. WORKER_CONCURRENCY); not
 * waited for. Stop it before the server (whose data folder it shares).
 */
export function startWorker(server: Server, env: Record<string, string> = {}, o: { source?: boolean } = {}): Process {
  return spawnTikiti('worker', { ...server.env, ...env }, o);
}

/** `processes` separate servers on one database: the first migrates, the others start once it is ready. */
export async function startServers(databaseUrl: string, env: Record<string, string>, processes: number): Promise<Server[]> {
  const first = await startServer(databaseUrl, env);
  const rest = await Promise.all(Array.from({ length: processes - 1 }, () => startServer(databaseUrl, env)));
  return [first, ...rest];
}
