import crypto from 'node:crypto';
import pg from 'pg';
import { afterAll, inject } from 'vitest';

/**
 * Runs in every test file: copy the migrated template database (CREATE DATABASE … TEMPLATE) and
 * point the file's tests at the copy (see testDatabaseUrl() in test/helpers/testApp.ts). Dropped
 * when the file ends.
 */
const template = new URL(inject('databaseUrl'));
const adminUrl = inject('adminUrl');
const name = `${template.pathname.slice(1)}_f${crypto.randomBytes(4).toString('hex')}`;

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

// Top-level await: some files build their app while being collected, before any hook runs.
await admin(async (c) => {
  for (let attempt = 1; ; attempt++) {
    try {
      await c.query(`create database ${name} template ${template.pathname.slice(1)}`);
      break;
    } catch (e) {
      // 55006: another file is copying the template at this instant; copies take turns.
      if ((e as { code?: string }).code !== '55006' || attempt >= 50) throw e;
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
    }
  }
});
const url = new URL(template);
url.pathname = `/${name}`;
process.env.TIKITI_TEST_DATABASE_URL = url.toString();

afterAll(async () => {
  await admin((c) => c.query(`drop database if exists ${name} with (force)`));
});
