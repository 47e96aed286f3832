import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../helpers/testApp.js';
import { factories } from '../helpers/factories.js';

/**
 * Table-driven bad input against EVERY documented /api/v1 operation, read from the OpenAPI
 * document so a new endpoint is covered the moment it exists: malformed JSON, wrong JSON types,
 * unknown fields, oversized bodies, wrong content type and invalid ids all answer a precise 4xx
 * problem+json — never a 500, never a stack trace.
 */
let t: TestApp;
let auth: Record<string, string>;
type Op = { method: string; path: string; hasBody: boolean; hasPathParams: boolean };
let ops: Op[] = [];

beforeAll(async () => {
  t = await testApp({ BODY_LIMIT_BYTES: 4096 });
  const admin = await factories(t.db, t.ctx.tokens).admin();
  auth = admin.auth;
  const doc = (await t.app.inject({ url: '/openapi.json' })).json() as {
    paths: Record<string, Record<string, { requestBody?: unknown; parameters?: { in: string }[] }>>;
  };
  ops = Object.entries(doc.paths)
    .filter(([p]) => p.startsWith('/api/v1/'))
    .flatMap(([p, methods]) =>
      Object.entries(methods).map(([m, op]) => ({
        method: m.toUpperCase(),
        path: p,
        hasBody: Boolean(op.requestBody),
        hasPathParams: /\{[^}]+\}/.test(p),
      })),
    );
});
afterAll(async () => {
  await t.close();
});

const fill = (p: string, value: string) => p.replace(/\{[^}]+\}/g, value);

function expectProblem(res: { statusCode: number; headers: Record<string, unknown>; body: string }, status: number, label: string) {
  expect(res.statusCode, `${label}: ${res.body}`).toBe(status);
  expect(String(res.headers['content-type']), label).toContain('application/problem+json');
  const body = JSON.parse(res.body);
  expect(body.status, label).toBe(status);
  expect(typeof body.code, label).toBe('string');
  expect(res.body, label).not.toMatch(/at .*\.(ts|js):\d+/); // no stack traces
  return body as { code: string; errors?: { field: string; message: string }[] };
}

describe('bad input on every endpoint', () => {
  it('finds the API operations to test', () => {
    expect(ops.length).toBeGreaterThan(0);
  });

  it('rejects invalid ids in the path with 400 (or 404 where the id is not a UUID)', async () => {
    for (const op of ops.filter((o) => o.hasPathParams)) {
      const res = await t.app.inject({
        method: op.method as 'GET',
        url: fill(op.path, 'not-a-uuid'),
        headers: { ...auth, 'idempotency-key': crypto.randomUUID() },
        ...(op.hasBody ? { payload: {} } : {}),
      });
      const label = `${op.method} ${op.path}`;
      expect([400, 404], `${label}: ${res.body}`).toContain(res.statusCode);
      expectProblem(res, res.statusCode, label);
    }
  });

  it('answers a JSON body that is not JSON with 400 malformed_json', async () => {
    for (const op of ops.filter((o) => o.hasBody)) {
      const res = await t.app.inject({
        method: op.method as 'POST',
        url: fill(op.path, crypto.randomUUID()),
        headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() },
        payload: '{"name": "unterminated',
      });
      const body = expectProblem(res, 400, `${op.method} ${op.path}`);
      expect(body.code).toBe('malformed_json');
    }
  });

  it('answers wrong JSON types and unknown fields with 400 and field errors', async () => {
    for (const op of ops.filter((o) => o.hasBody)) {
      const label = `${op.method} ${op.path}`;
      const url = fill(op.path, crypto.randomUUID());
      const headers = { ...auth, 'idempotency-key': crypto.randomUUID() };
      const array = await t.app.inject({ method: op.method as 'POST', url, headers, payload: [1, 2] as unknown as object });
      expect(expectProblem(array, 400, `${label} (array body)`).code).toBe('validation_failed');

      const extra = await t.app.inject({
        method: op.method as 'POST',
        url,
        headers: { ...headers, 'idempotency-key': crypto.randomUUID() },
        payload: { __unexpected: true },
      });
      const body = expectProblem(extra, 400, `${label} (unknown field)`);
      expect(body.code).toBe('validation_failed');
      expect(body.errors?.map((e) => e.field), label).toContain('__unexpected');
    }
  });

  it('answers an oversized body with 413 payload_too_large', async () => {
    for (const op of ops.filter((o) => o.hasBody)) {
      const res = await t.app.inject({
        method: op.method as 'POST',
        url: fill(op.path, crypto.randomUUID()),
        headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() },
        payload: JSON.stringify({ name: 'x'.repeat(10_000) }),
      });
      expect(expectProblem(res, 413, `${op.method} ${op.path}`).code).toBe('payload_too_large');
    }
  });

  it('answers a body in another content type with 415', async () => {
    for (const op of ops.filter((o) => o.hasBody)) {
      const res = await t.app.inject({
        method: op.method as 'POST',
        url: fill(op.path, crypto.randomUUID()),
        headers: { ...auth, 'content-type': 'application/xml', 'idempotency-key': crypto.randomUUID() },
        payload: '<booking/>',
      });
      expect(expectProblem(res, 415, `${op.method} ${op.path}`).code).toBe('unsupported_media_type');
    }
  });
});
