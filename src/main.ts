#!/usr/bin/env node
import cluster, { type Worker } from 'node:cluster';
import { parseArgs } from 'node:util';
import { startTracingFromEnv, stopTracing } from './tracing.js';
import { ConfigError } from './config.js';
import { startRuntime, type Runtime } from './runtime.js';
import { migrateToLatest } from './platform/db/migrate.js';
import { buildApp } from './app.js';
import { seedDemo, DEMO_LOGINS } from './seed.js';
import { runDoctor } from './doctor.js';
import { migrateJobs } from './platform/jobs/migrate.js';
import { startWorker, type WorkerHandle } from './platform/jobs/runner.js';

/**
 * The CLI. Each role is one entry in `commands`; add new roles (worker, …) there.
 *   tikiti serve [--processes N] | migrate | seed | doctor | admin create --email E --password P [--name N]
 */
type Command = (rt: Runtime, args: string[]) => Promise<number | 'keep-running'>;

const commands: Record<string, { describe: string; run: Command }> = {
  serve: {
    describe: 'run the HTTP API (migrates first; seeds demo data on a fresh embedded database); --processes N: N processes sharing the port',
    run: serve,
  },
  migrate: { describe: 'apply pending database migrations', run: migrate },
  seed: { describe: 'load the demo data (idempotent)', run: seed },
  doctor: { describe: 'check configuration, database, migrations and counters', run: doctor },
  worker: { describe: 'run background jobs (hold expiry, sweeps, purges); any number of workers may run', run: worker },
  admin: { describe: 'admin create --email E --password P [--name N]: create a platform admin', run: admin },
};

/** Set by the cluster primary in its children: which one (1…N) this is; the primary migrated and seeded already. */
const CLUSTER_CHILD_ENV = 'TIKITI_CLUSTER_CHILD';

function parseProcesses(args: string[]): number {
  const { values } = parseArgs({ args, options: { processes: { type: 'string', short: 'p' } }, strict: true });
  const n = values.processes === undefined ? 1 : Number(values.processes);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw Object.assign(new Error('--processes must be an integer from 1 to 256'), { code: 'usage' });
  return n;
}

async function serve(rt: Runtime, args: string[]): Promise<'keep-running'> {
  const processes = cluster.isPrimary ? parseProcesses(args) : 1;
  if (processes > 1) return servePrimary(rt, processes);
  const { config, log, ctx } = rt;
  const child = process.env[CLUSTER_CHILD_ENV];
  let seeded = false;
  if (!child) {
    const applied = await migrateToLatest(ctx.db);
    if (applied.length) log.info({ applied }, 'migrations applied');
    await migrateJobs(rt.dbHandle.url);
    seeded = (config.SEED_DEMO ?? config.embedded) ? await seedDemo(ctx) : false;
  }
  const app = await buildApp({ ctx, logger: log });
  const address = await app.listen({ port: config.PORT, host: config.HOST });
  const base = config.PUBLIC_URL ?? `http://localhost:${(app.server.address() as { port: number }).port}`;
  log.info({ address, ...(child ? { clusterChild: Number(child) } : {}) }, 'Tikiti is serving');
  // The single-machine setup runs the background jobs in the same process.
  const jobs: WorkerHandle | undefined = config.WORKER_IN_PROCESS
    ? await startWorker(ctx, { connectionString: rt.dbHandle.url })
    : undefined;
  const lines = [
    '',
    `  Tikiti is up on ${base}`,
    `  API docs:   ${base}/docs   (OpenAPI: ${base}/openapi.json)`,
    `  Health:     ${base}/health/ready`,
  ];
  if (config.SEED_DEMO ?? config.embedded) {
    lines.push(`  Demo logins${seeded ? ' (just created)' : ''}:`);
    for (const d of DEMO_LOGINS) lines.push(`    ${d.role.padEnd(16)} ${d.email.padEnd(28)} ${d.password}`);
  }
  // In a cluster the primary prints the banner once.
  if (!child) process.stdout.write(lines.join('\n') + '\n\n');

  let closing = false;
  const stop = async (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, 20_000);
    force.unref();
    try {
      await app.close();
      await jobs?.stop();
      await rt.shutdown();
      await stopTracing();
      log.info('shutdown complete');
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'error during shutdown');
      process.exit(1);
    }
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  return 'keep-running';
}

/**
 * `serve --processes N`: this process migrates and seeds once (and owns the embedded PostgreSQL,
 * whose URL the children get in DATABASE_URL), then forks N children that share the port
 * (node:cluster). Only the first child runs the in-process job worker. A child that dies is
 * replaced (with a back-off if it keeps dying); SIGINT/SIGTERM stops every child gracefully, then
 * the database, and exits 0.
 */
async function servePrimary(rt: Runtime, processes: number): Promise<'keep-running'> {
  const { config, log, ctx } = rt;
  const applied = await migrateToLatest(ctx.db);
  if (applied.length) log.info({ applied }, 'migrations applied');
  await migrateJobs(rt.dbHandle.url);
  const seeded = (config.SEED_DEMO ?? config.embedded) ? await seedDemo(ctx) : false;
  // The children have their own pools; the primary keeps only the embedded server (if any).
  await rt.dbHandle.close();

  const envFor = (index: number): NodeJS.ProcessEnv => ({
    [CLUSTER_CHILD_ENV]: String(index),
    DATABASE_URL: rt.dbHandle.url,
    SEED_DEMO: 'false',
    // One job worker per machine is enough for `serve`; more run as `tikiti worker`.
    WORKER_IN_PROCESS: index === 1 && config.WORKER_IN_PROCESS ? 'true' : 'false',
  });
  const slots = new Map<Worker, { index: number; startedAt: number }>();
  const failures = new Map<number, number>();
  let shuttingDown = false;
  const fork = (index: number) => {
    const w = cluster.fork(envFor(index));
    slots.set(w, { index, startedAt: Date.now() });
  };

  let announced = false;
  cluster.on('listening', (w, address) => {
    log.info({ pid: w.process.pid, child: slots.get(w)?.index, port: address.port }, 'cluster child listening');
    if (announced) return;
    announced = true;
    const base = config.PUBLIC_URL ?? `http://localhost:${address.port}`;
    const lines = [
      '',
      `  Tikiti is up on ${base} (${processes} processes, primary pid ${process.pid})`,
      `  API docs:   ${base}/docs   (OpenAPI: ${base}/openapi.json)`,
      `  Health:     ${base}/health/ready`,
    ];
    if (config.SEED_DEMO ?? config.embedded) {
      lines.push(`  Demo logins${seeded ? ' (just created)' : ''}:`);
      for (const d of DEMO_LOGINS) lines.push(`    ${d.role.padEnd(16)} ${d.email.padEnd(28)} ${d.password}`);
    }
    process.stdout.write(lines.join('\n') + '\n\n');
  });
  cluster.on('exit', (w, code, signal) => {
    const slot = slots.get(w);
    slots.delete(w);
    if (!slot) return;
    if (shuttingDown) {
      log.info({ pid: w.process.pid, child: slot.index, code, signal }, 'cluster child stopped');
      return;
    }
    // Back off when a child keeps dying right after start (bad config, database down): 1 s, 2 s, … 30 s.
    const quick = Date.now() - slot.startedAt < 10_000;
    const n = quick ? (failures.get(slot.index) ?? 0) + 1 : 0;
    failures.set(slot.index, n);
    const delay = n === 0 ? 0 : Math.min(30_000, 1000 * 2 ** (n - 1));
    log.error({ pid: w.process.pid, child: slot.index, code, signal, restartInMs: delay }, 'cluster child died; restarting it');
    setTimeout(() => {
      if (!shuttingDown) fork(slot.index);
    }, delay).unref();
  });
  for (let i = 1; i <= processes; i++) fork(i);

  const stop = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info({ signal, children: slots.size }, 'shutting down the cluster: children finish their in-flight requests');
    const force = setTimeout(() => {
      log.error('cluster shutdown took too long; killing the children');
      for (const w of slots.keys()) w.process.kill('SIGKILL');
      process.exit(1);
    }, 30_000);
    force.unref();
    const exited = [...slots.keys()].map((w) => new Promise<void>((resolve) => (w.isDead() ? resolve() : w.once('exit', () => resolve()))));
    for (const w of slots.keys()) if (!w.isDead()) w.process.kill('SIGTERM');
    await Promise.all(exited);
    try {
      await rt.shutdown();
      await stopTracing();
      log.info('cluster shutdown complete');
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'error during cluster shutdown');
      process.exit(1);
    }
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  return 'keep-running';
}

async function worker(rt: Runtime): Promise<'keep-running'> {
  const { log, ctx } = rt;
  await migrateToLatest(ctx.db);
  await migrateJobs(rt.dbHandle.url);
  const handle = await startWorker(ctx, { connectionString: rt.dbHandle.url });
  log.info({ concurrency: ctx.config.WORKER_CONCURRENCY }, 'Tikiti worker is running');
  let closing = false;
  const stop = async (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'worker shutting down: finishing running jobs');
    const force = setTimeout(() => process.exit(1), 20_000);
    force.unref();
    try {
      await handle.stop();
      await rt.shutdown();
      await stopTracing();
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'error during worker shutdown');
      process.exit(1);
    }
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  return 'keep-running';
}

async function migrate(rt: Runtime): Promise<number> {
  const applied = await migrateToLatest(rt.ctx.db);
  await migrateJobs(rt.dbHandle.url);
  process.stdout.write(applied.length ? `Applied: ${applied.join(', ')}\n` : 'Already up to date.\n');
  return 0;
}

async function seed(rt: Runtime): Promise<number> {
  await migrateToLatest(rt.ctx.db);
  const created = await seedDemo(rt.ctx);
  process.stdout.write(created ? 'Demo data created.\n' : 'Demo data already present.\n');
  for (const d of DEMO_LOGINS) process.stdout.write(`  ${d.role.padEnd(16)} ${d.email.padEnd(28)} ${d.password}\n`);
  return 0;
}

async function doctor(rt: Runtime, args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { repair: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } } });
  const report = await runDoctor(rt.ctx, { repair: values.repair ?? false });
  if (values.json) process.stdout.write(JSON.stringify(report) + '\n');
  else for (const c of report.checks) process.stdout.write(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}\n`);
  return report.ok ? 0 : 1;
}

async function admin(rt: Runtime, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'create') {
    process.stderr.write('usage: tikiti admin create --email E --password P [--name N]\n');
    return 2;
  }
  const { values } = parseArgs({ args: rest, options: { email: { type: 'string' }, password: { type: 'string' }, name: { type: 'string' } } });
  if (!values.email || !values.password) {
    process.stderr.write('usage: tikiti admin create --email E --password P [--name N]\n');
    return 2;
  }
  await migrateToLatest(rt.ctx.db);
  const user = await rt.ctx.identity.createAdmin({ email: values.email, password: values.password, name: values.name ?? 'Admin' });
  process.stdout.write(`Admin ${user.email} ready (id ${user.id}).\n`);
  return 0;
}

function usage(): string {
  return ['usage: tikiti <command>', '', ...Object.entries(commands).map(([n, c]) => `  ${n.padEnd(8)} ${c.describe}`), ''].join('\n');
}

async function main(argv: string[]): Promise<void> {
  const [name, ...args] = argv;
  const command = name ? commands[name] : undefined;
  if (!command) {
    process.stderr.write(usage());
    process.exit(name ? 2 : 0);
  }
  // Before the runtime and the app: spans for HTTP, PostgreSQL and Fastify (OTEL_EXPORTER_OTLP_ENDPOINT).
  await startTracingFromEnv(name!);
  let rt: Runtime;
  try {
    rt = await startRuntime(name!);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(78);
    }
    process.stderr.write(`${name}: ${(e as Error).message}\n`);
    process.exit(1);
  }
  try {
    const result = await command.run(rt, args);
    if (result === 'keep-running') return;
    await rt.shutdown();
    process.exit(result);
  } catch (e) {
    const err = e as Error & { code?: string };
    process.stderr.write(`${name} failed: ${err.code ? `[${err.code}] ` : ''}${err.message}\n`);
    await rt.shutdown().catch(() => {});
    process.exit(err.code === 'usage' || err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? 2 : 1);
  }
}

await main(process.argv.slice(2));
