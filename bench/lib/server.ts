/** Start the production build of Tikiti (node dist/main.js serve) for benchmarks. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';

export const root = path.resolve(import.meta.dirname, '../..');
export const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

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

export interface Server {
  url: string;
  child: ChildProcess;
  /** Peak resident memory of the server process (MB), from /proc. */
  peakRssMb(): number;
  stop(): Promise<void>;
}

/**
 * One `node dist/main.js serve [extra args]` on a free port against `databaseUrl`, production
 * mode, rate limits off (one load generator address), no demo seed; resolves when /health/ready
 * answers 200. `env` overrides the defaults.
 */
export async function startServer(databaseUrl: string, env: Record<string, string>, args: string[] = []): Promise<Server> {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tikiti-bench-'));
  const child = spawn(process.execPath, ['dist/main.js', 'serve', ...args], {
    cwd: root,
    env: {
      ...process.env,
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
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => (err = (err + d).slice(-4000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited:\n${err}`);
    try {
      const res = await request(`${url}/health/ready`);
      await res.body.text();
      if (res.statusCode === 200) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`server not ready:\n${err}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    child,
    peakRssMb() {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        return m ? Math.round(Number(m[1]) / 1024) : 0;
      } catch {
        return 0;
      }
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** `processes` separate servers on one database: the first migrates, the others start once it is ready. */
export async function startServers(databaseUrl: string, env: Record<string, string>, processes: number): Promise<Server[]> {
  const first = await startServer(databaseUrl, env);
  const rest = await Promise.all(Array.from({ length: processes - 1 }, () => startServer(databaseUrl, env)));
  return [first, ...rest];
}
