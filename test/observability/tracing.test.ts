import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { startTracing, type TracingHandle } from '../../src/platform/observability/tracing.js';
import { traceMixin } from '../../src/platform/observability/logContext.js';
import { loggerOptions } from '../../src/platform/logger.js';
import { testConfig } from '../helpers/testApp.js';
import { createDb, type DbHandle } from '../../src/platform/db/database.js';
import { createContext } from '../../src/context.js';
import { buildApp } from '../../src/app.js';
import type { FastifyInstance } from 'fastify';

// Tracing is process-wide; this file runs in its own worker process (vitest pool: forks).
const exporter = new InMemorySpanExporter();
let tracing: TracingHandle;
let app: FastifyInstance;
let handle: DbHandle;
let base: string;
const lines: Record<string, unknown>[] = [];

beforeAll(async () => {
  tracing = startTracing({ exporter, simple: true, serviceName: 'tikiti-test' });
  const config = testConfig({}, { LOG_LEVEL: 'info' });
  handle = createDb(config.DATABASE_URL!, { max: 4 });
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  // The production logger options (with the trace mixin), writing to memory.
  const log = pino({ ...loggerOptions({ ...config, LOG_PRETTY: false }), level: 'info' }, sink);
  const ctx = createContext(config, handle.db, log);
  app = await buildApp({ ctx, logger: log });
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await app.close();
  await handle.close();
  await tracing.shutdown();
});

describe('OpenTelemetry tracing', () => {
  it('continues an incoming traceparent through the HTTP, Fastify and PostgreSQL spans, and logs the trace id', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentSpanId = '00f067aa0ba902b7';
    // /health/ready is not traced (probe noise); an API route that queries the database is.
    const res = await fetch(`${base}/api/v1/events?limit=1`, {
      headers: { traceparent: `00-${traceId}-${parentSpanId}-01` },
    });
    expect(res.status).toBe(200);
    const requestId = res.headers.get('x-request-id');
    await new Promise((r) => setTimeout(r, 100));

    const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    const server = spans.find((s) => s.kind === 1 /* SERVER */);
    expect(server, 'an HTTP server span').toBeDefined();
    expect(server!.parentSpanContext?.spanId).toBe(parentSpanId);
    expect(server!.attributes['http.route']).toBe('/api/v1/events');
    expect(spans.some((s) => s.instrumentationScope.name.includes('fastify')), 'a Fastify span').toBe(true);
    const query = spans.find((s) => s.attributes['db.system'] === 'postgresql' || s.attributes['db.system.name'] === 'postgresql');
    expect(query, 'a PostgreSQL span in the same trace').toBeDefined();

    // Every log line of that request carries the trace id.
    const own = lines.filter((l) => l.reqId === requestId);
    expect(own.length).toBeGreaterThan(0);
    for (const l of own) expect(l.traceId).toBe(traceId);
    expect(own.every((l) => typeof l.spanId === 'string' && (l.spanId as string).length === 16)).toBe(true);
  });

  it('starts a new trace when no traceparent comes in', async () => {
    exporter.reset();
    const res = await fetch(`${base}/api/v1/events?limit=1`);
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    const server = exporter.getFinishedSpans().find((s) => s.kind === 1);
    expect(server).toBeDefined();
    expect(server!.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(server!.parentSpanContext).toBeUndefined();
  });

  it('adds nothing to log lines outside a span', () => {
    expect(traceMixin()).toEqual({});
  });
});
