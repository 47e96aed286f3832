import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { testApp, type TestApp } from '../helpers/testApp.js';
import { factories } from '../helpers/factories.js';
import { queryName } from '../../src/platform/observability/queryNames.js';

/** The value of one sample line of a Prometheus text exposition, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[4]);
  }
  return undefined;
}

let t: TestApp;
let tokenApp: TestApp;
const TOKEN = 'metrics-token-0123456789';

beforeAll(async () => {
  t = await testApp();
  tokenApp = await testApp({}, { METRICS_TOKEN: TOKEN });
});
afterAll(async () => {
  await t.close();
  await tokenApp.close();
});

const scrape = async (app: TestApp) => {
  const res = await app.app.inject({ url: '/metrics' });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.body;
};

describe('GET /metrics', () => {
  it('serves process metrics, pool gauges and the business counters in Prometheus format', async () => {
    const text = await scrape(t);
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(sample(text, 'db_pool_connections', { state: 'max' })).toBe(t.config.DATABASE_POOL_MAX);
    expect(sample(text, 'tikiti_database_up')).toBe(1);
    for (const name of [
      'tikiti_bookings_created_total', 'tikiti_bookings_confirmed_total', 'tikiti_bookings_expired_total',
      'tikiti_bookings_cancelled_total', 'tikiti_sold_out_refusals_total',
    ]) expect(sample(text, name), name).toBe(0);
    expect(text).toContain('# TYPE tikiti_allocator_batch_size histogram');
    expect(text).toContain('# TYPE tikiti_payments_total counter');
    expect(text).toContain('# TYPE tikiti_webhooks_received_total counter');
  });

  it('shows what other modules count through ctx.metrics', async () => {
    t.ctx.metrics.bookingsCreated.inc();
    t.ctx.metrics.bookingsCreated.inc();
    t.ctx.metrics.paymentsTotal.inc({ provider: 'momo', outcome: 'succeeded' });
    t.ctx.metrics.webhooksReceived.inc({ provider: 'stripe', result: 'bad_signature' });
    t.ctx.metrics.allocatorBatchSize.observe(37);
    t.ctx.metrics.checkinsTotal.inc({ result: 'already_redeemed' });
    const text = await scrape(t);
    expect(sample(text, 'tikiti_bookings_created_total')).toBe(2);
    expect(sample(text, 'tikiti_payments_total', { provider: 'momo', outcome: 'succeeded' })).toBe(1);
    expect(sample(text, 'tikiti_webhooks_received_total', { provider: 'stripe', result: 'bad_signature' })).toBe(1);
    expect(sample(text, 'tikiti_allocator_batch_size_bucket', { le: '32' })).toBe(0);
    expect(sample(text, 'tikiti_allocator_batch_size_bucket', { le: '64' })).toBe(1);
    expect(sample(text, 'tikiti_checkins_total', { result: 'already_redeemed' })).toBe(1);
    // Each app has its own registry: the other app saw none of it.
    expect(sample(await tokenAppScrape(), 'tikiti_bookings_created_total')).toBe(0);
  });

  it('times HTTP requests by route template, never by raw URL', async () => {
    const id = '0190d1c1-0000-7000-8000-00000000abcd';
    await t.app.inject({ url: `/api/v1/events/${id}` });
    await t.app.inject({ url: `/api/v1/events/${id}` });
    await t.app.inject({ url: '/no/such/thing/1234' });
    const text = await scrape(t);
    expect(sample(text, 'http_request_duration_seconds_count', { method: 'GET', route: '/api/v1/events/:id', status_code: '404' })).toBe(2);
    expect(sample(text, 'http_request_duration_seconds_count', { route: 'unmatched', status_code: '404' })).toBe(1);
    expect(text).not.toContain(id);
    expect(text).not.toContain('1234"');
  });

  it('times database queries by name: a /* name */ comment, else verb and table', async () => {
    await sql`/* test.namedPing */ select 1`.execute(t.db);
    await t.db.selectFrom('users').select('id').where('email', '=', 'nobody@example.test').modifyEnd(queryName('test.findUserByEmail')).execute();
    await t.db.selectFrom('organizers').select('id').limit(1).execute();
    const text = await scrape(t);
    expect(sample(text, 'db_query_duration_seconds_count', { query: 'test.namedPing', outcome: 'ok' })).toBe(1);
    expect(sample(text, 'db_query_duration_seconds_count', { query: 'test.findUserByEmail', outcome: 'ok' })).toBe(1);
    expect(sample(text, 'db_query_duration_seconds_count', { query: 'select organizers', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    await expect(sql`/* test.failing */ select 1/0`.execute(t.db)).rejects.toThrow();
    expect(sample(await scrape(t), 'db_query_duration_seconds_count', { query: 'test.failing', outcome: 'error' })).toBe(1);
  });

  it('reports the job backlog by task', async () => {
    const task = `test_backlog_${Date.now()}`;
    await sql`select graphile_worker.add_job(${task}, '{}'::json)`.execute(t.db);
    await sql`select graphile_worker.add_job(${task}, '{}'::json)`.execute(t.db);
    await sql`select graphile_worker.add_job(${task}, '{}'::json, run_at := now() + interval '1 hour')`.execute(t.db);
    const text = await scrape(t);
    expect(sample(text, 'tikiti_jobs', { task, state: 'ready' })).toBe(2);
    expect(sample(text, 'tikiti_jobs', { task, state: 'scheduled' })).toBe(1);
    expect(sample(text, 'tikiti_job_oldest_ready_seconds', { task })).toBeGreaterThanOrEqual(0);
    await sql`select graphile_worker.permanently_fail_jobs(array(select id from graphile_worker.jobs where task_identifier = ${task}), 'test')`.execute(t.db);
  });

  it('reports the payment providers\' breaker states from the health hook', async () => {
    t.ctx.health.setProviderStates(() => [{ name: 'momo', state: 'open' }, { name: 'stripe', state: 'closed' }]);
    const text = await scrape(t);
    expect(sample(text, 'tikiti_payment_provider_breaker_state', { provider: 'momo', state: 'open' })).toBe(1);
    expect(sample(text, 'tikiti_payment_provider_breaker_state', { provider: 'momo', state: 'closed' })).toBe(0);
    expect(sample(text, 'tikiti_payment_provider_breaker_state', { provider: 'stripe', state: 'closed' })).toBe(1);
    t.ctx.health.setProviderStates(() => []);
  });

  it('without METRICS_TOKEN answers loopback only', async () => {
    const res = await t.app.inject({ url: '/metrics', remoteAddress: '203.0.113.9' });
    expect(res.statusCode).toBe(403);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.json().code).toBe('forbidden');
  });

  it('with METRICS_TOKEN requires it as a bearer token, from anywhere', async () => {
    const none = await tokenApp.app.inject({ url: '/metrics' });
    expect(none.statusCode).toBe(401);
    expect(none.json().code).toBe('unauthenticated');
    const wrong = await tokenApp.app.inject({ url: '/metrics', headers: { authorization: 'Bearer not-the-token-at-all' } });
    expect(wrong.statusCode).toBe(401);
    const ok = await tokenApp.app.inject({ url: '/metrics', remoteAddress: '203.0.113.9', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('http_request_duration_seconds');
  });

  it('is not in the OpenAPI document and needs no user token', async () => {
    const doc = (await t.app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).not.toContain('/metrics');
    expect(Object.keys(doc.paths)).toContain('/health/detailed');
  });
});

async function tokenAppScrape() {
  const res = await tokenApp.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
  return res.body;
}

describe('factories still work with metrics wired', () => {
  it('counts factory inserts as named-by-table queries', async () => {
    const make = factories(t.db, t.ctx.tokens);
    await make.user();
    const text = await scrape(t);
    expect(sample(text, 'db_query_duration_seconds_count', { query: 'insert users', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
  });
});
