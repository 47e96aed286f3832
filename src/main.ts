#!/usr/bin/env node
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
 *   tikiti serve | migrate | seed | doctor | admin create --email E --password P [--name N]
 */
type Command = (rt: Runtime, args: string[]) => Promise<number | 'keep-running'>;

const commands: Record<string, { describe: string; run: Command }> = {
  serve: { describe: 'run the HTTP API (migrates first; seeds demo data on a fresh embedded database)', run: serve },
  migrate: { describe: 'apply pending database migrations', run: migrate },
  seed: { describe: 'load the demo data (idempotent)', run: seed },
  doctor: { describe: 'check configuration, database, migrations and counters', run: doctor },
  worker: { describe: 'run background jobs (hold expiry, sweeps, purges); any number of workers may run', run: worker },
  admin: { describe: 'admin create --email E --password P [--name N]: create a platform admin', run: admin },
};

async function serve(rt: Runtime): Promise<'keep-running'> {
  const { config, log, ctx } = rt;
  const applied = await migrateToLatest(ctx.db);
  if (applied.length) log.info({ applied }, 'migrations applied');
  await migrateJobs(rt.dbHandle.url);
  const seeded = (config.SEED_DEMO ?? config.embedded) ? await seedDemo(ctx) : false;
  const app = await buildApp({ ctx, logger: log });
  const address = await app.listen({ port: config.PORT, host: config.HOST });
  const base = config.PUBLIC_URL ?? `http://localhost:${(app.server.address() as { port: number }).port}`;
  log.info({ address }, 'Tikiti is serving');
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
  process.stdout.write(lines.join('\n') + '\n\n');

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
    process.exit(1);
  }
}

await main(process.argv.slice(2));
