import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../helpers/testApp.js';

const run = promisify(execFile);
let t: TestApp;
let doc: { paths: Record<string, Record<string, { summary?: string; tags?: string[]; responses?: Record<string, unknown> }>> };

beforeAll(async () => {
  t = await testApp();
  doc = (await t.app.inject({ url: '/openapi.json' })).json();
});
afterAll(async () => {
  await t.close();
});

describe('OpenAPI document', () => {
  it('documents every route with a summary, tags and responses', () => {
    const operations = Object.entries(doc.paths).flatMap(([p, ops]) => Object.entries(ops).map(([m, op]) => ({ id: `${m.toUpperCase()} ${p}`, op })));
    expect(operations.length).toBeGreaterThan(1);
    for (const { id, op } of operations) {
      expect(op.summary, `${id} summary`).toBeTruthy();
      expect(op.tags?.length, `${id} tags`).toBeGreaterThan(0);
      expect(Object.keys(op.responses ?? {}).length, `${id} responses`).toBeGreaterThan(0);
      if (id.includes(' /api/v1/')) {
        expect(Object.keys(op.responses ?? {}).some((s) => s.startsWith('4')), `${id} documents its 4xx errors`).toBe(true);
      }
    }
  });

  it('passes redocly lint with no errors', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tikiti-openapi-'));
    const file = path.join(dir, 'openapi.json');
    fs.writeFileSync(file, JSON.stringify(doc));
    const bin = path.resolve('node_modules/.bin/redocly');
    let stdout = '';
    let failed = false;
    try {
      ({ stdout } = await run(bin, ['lint', file, '--config', path.resolve('redocly.yaml'), '--format', 'json'], { maxBuffer: 32 * 1024 * 1024 }));
    } catch (e) {
      failed = true;
      stdout = (e as { stdout?: string }).stdout ?? String(e);
    }
    const report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { problems: { ruleId: string; severity: string; message: string; location: { pointer: string }[] }[] };
    const errors = report.problems.filter((p) => p.severity === 'error').map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`);
    expect(errors).toEqual([]);
    expect(failed).toBe(false);
  }, 120_000);
});
