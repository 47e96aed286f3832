import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../helpers/testApp.js';

const RULES = path.resolve('ops/prometheus/tikiti.rules.yml');
const RULE_TESTS = path.resolve('ops/prometheus/tikiti.rules.test.yml');
const DASHBOARD = path.resolve('ops/grafana/tikiti.json');
const hasPromtool = spawnSync('promtool', ['--version']).status === 0;
if (!hasPromtool) console.warn('promtool is not installed: skipping the rule checks (apt-get install prometheus)');

let t: TestApp;
let exposed: Set<string>;

beforeAll(async () => {
  t = await testApp();
  // Give every labelled family one sample so it shows up in the exposition.
  t.ctx.metrics.paymentsTotal.inc({ provider: 'momo', outcome: 'failed' }, 0);
  t.ctx.metrics.webhooksReceived.inc({ provider: 'momo', result: 'bad_signature' }, 0);
  t.ctx.metrics.refundsTotal.inc({ provider: 'momo', outcome: 'succeeded' }, 0);
  t.ctx.metrics.fraudDecisions.inc({ decision: 'block' }, 0);
  t.ctx.metrics.checkinsTotal.inc({ result: 'admitted' }, 0);
  t.ctx.metrics.rateLimited.inc({ tier: 'general' }, 0);
  t.ctx.metrics.jobDuration.observe({ task: 'x', outcome: 'success' }, 0);
  t.ctx.health.setProviderStates(() => [{ name: 'momo', state: 'closed' }]);
  await t.app.inject({ url: '/health/live' });
  const body = (await t.app.inject({ url: '/metrics' })).body;
  exposed = new Set([...body.matchAll(/^# TYPE (\S+) (\w+)$/gm)].flatMap((m) =>
    m[2] === 'histogram' ? [`${m[1]}_bucket`, `${m[1]}_count`, `${m[1]}_sum`] : [m[1]!]));
  exposed.add('tikiti_jobs');
  exposed.add('tikiti_job_oldest_ready_seconds');
  exposed.add('tikiti_rate_limit_redis_up');
  exposed.add('up');
});
afterAll(async () => {
  await t.close();
});

/** Metric names used in PromQL expressions (identifiers followed by `{`, `[` or used bare in functions). */
function metricNames(expr: string): string[] {
  const cleaned = expr.replace(/"[^"]*"/g, '""').replace(/\bby\s*\([^)]*\)/g, '');
  const ids = cleaned.match(/[a-zA-Z_:][\w:]*(?=\s*[{[)])/g) ?? [];
  const functions = new Set(['rate', 'increase', 'sum', 'max', 'min', 'topk', 'histogram_quantile', 'by', 'and', 'avg', 'count']);
  return ids.filter((id) => !functions.has(id) && /_/.test(id) || id === 'up');
}

describe('ops files', () => {
  it.skipIf(!hasPromtool)('the alert rules pass promtool check rules and their unit tests', () => {
    const out = execFileSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' });
    expect(out).toMatch(/SUCCESS: \d+ rules found/);
    const tests = execFileSync('promtool', ['test', 'rules', RULE_TESTS], { encoding: 'utf8', cwd: path.dirname(RULE_TESTS) });
    expect(tests).toContain('SUCCESS');
  });

  it('the alert rules cover what an operator must hear about, on metrics Tikiti exposes', () => {
    const text = fs.readFileSync(RULES, 'utf8');
    for (const alert of ['TikitiHighErrorRate', 'TikitiHighLatencyP95', 'TikitiJobBacklog', 'TikitiPaymentProviderBreakerOpen', 'TikitiPaymentFailureRate', 'TikitiWebhookSignatureFailures', 'TikitiDatabaseDown']) {
      expect(text).toContain(`alert: ${alert}`);
    }
    const exprs = [...text.matchAll(/expr: (\|\n(?:\s{10}.*\n)+|.*)/g)].map((m) => m[1]!);
    const names = new Set(exprs.flatMap(metricNames));
    expect(names.size).toBeGreaterThan(8);
    for (const name of names) expect(exposed, `rules use ${name}`).toContain(name);
  });

  it('the Grafana dashboard is valid JSON whose queries use exposed metrics', () => {
    const dash = JSON.parse(fs.readFileSync(DASHBOARD, 'utf8')) as { title: string; panels: { title: string; type: string; targets?: { expr: string }[] }[] };
    expect(dash.title).toBe('Tikiti');
    const rows = dash.panels.filter((p) => p.type === 'row').map((p) => p.title);
    expect(rows).toEqual(['Sales', 'Latency and traffic', 'Payments', 'Check-ins']);
    const exprs = dash.panels.flatMap((p) => p.targets ?? []).map((tg) => tg.expr);
    expect(exprs.length).toBeGreaterThan(20);
    const names = new Set(exprs.flatMap(metricNames));
    expect(names.size).toBeGreaterThan(12);
    for (const name of names) expect(exposed, `dashboard uses ${name}`).toContain(name);
  });
});
