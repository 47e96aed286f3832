import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../../src/config.js';
import { createDb, type DbHandle } from '../../src/platform/db/database.js';
import { createContext, type AppContext } from '../../src/context.js';
import { buildApp } from '../../src/app.js';

export interface TestApp {
  app: FastifyInstance;
  ctx: AppContext;
  db: DbHandle['db'];
  config: Config;
  close(): Promise<void>;
}

/** This test file's own database (a copy of the migrated template; see test/setupFile.ts). */
export function testDatabaseUrl(): string {
  const url = process.env.TIKITI_TEST_DATABASE_URL;
  if (!url) throw new Error('testDatabaseUrl() is only available inside tests (after test/setupFile.ts ran)');
  return url;
}

/** Config as a test process sees it: the test database, a throwaway data folder, quiet logs. */
export function testConfig(overrides: Partial<Config> = {}, env: Record<string, string> = {}): Config {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tikiti-test-data-'));
  return loadConfig(
    {
      NODE_ENV: 'test',
      DATABASE_URL: testDatabaseUrl(),
      TIKITI_DATA_DIR: dataDir,
      JWT_SECRET: 'test-secret-test-secret-test-secret-0123456789',
      LOG_LEVEL: 'silent',
      WORKER_IN_PROCESS: 'false',
      // Other tests must not be throttled; test/ratelimit enables it explicitly.
      RATE_LIMIT_ENABLED: 'false',
      ...env,
    },
    overrides,
  );
}

/** A full app (all modules) on this file's test database, driven with app.inject or a real socket. */
export async function testApp(overrides: Partial<Config> = {}, env: Record<string, string> = {}): Promise<TestApp> {
  const config = testConfig(overrides, env);
  const handle = createDb(config.DATABASE_URL!, { max: config.DATABASE_POOL_MAX });
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const ctx = createContext(config, handle.db, log);
  const app = await buildApp({ ctx, logger: log });
  await app.ready();
  return {
    app,
    ctx,
    db: handle.db,
    config,
    async close() {
      await app.close();
      await handle.close();
    },
  };
}
