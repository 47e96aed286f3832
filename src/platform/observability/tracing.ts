import { createRequire } from 'node:module';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { FastifyOtelInstrumentation } from '@fastify/otel';

/**
 * OpenTelemetry tracing: spans for HTTP (server and outgoing client calls, e.g. payment
 * providers), Fastify routes and hooks, and PostgreSQL queries; W3C `traceparent` propagation
 * (the SDK default). Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set (see src/tracing.ts).
 *
 * Must start before `pg`, `fastify` and `http` are loaded: the pg and http instrumentations patch
 * those modules as they are required. Fastify is instrumented through its diagnostics channel
 * (`registerOnInitialization`), which works whatever the load order.
 */
export interface TracingHandle {
  sdk: NodeSDK;
  shutdown(): Promise<void>;
}

let active: TracingHandle | undefined;

export interface StartTracingOptions {
  serviceName?: string;
  /**
   * Where spans go. Without one, the SDK builds the exporter from the standard variables
   * (OTEL_TRACES_EXPORTER, default otlp; OTEL_EXPORTER_OTLP_ENDPOINT / _PROTOCOL / _HEADERS).
   */
  exporter?: SpanExporter;
  /** Export each span as it ends (tests) instead of batching. */
  simple?: boolean;
}

export function startTracing(opts: StartTracingOptions = {}): TracingHandle {
  if (active) return active;
  // Metrics go to Prometheus (/metrics) and logs to stdout; only traces are exported over OTLP
  // unless the operator asks for more.
  process.env.OTEL_METRICS_EXPORTER ??= 'none';
  process.env.OTEL_LOGS_EXPORTER ??= 'none';
  const exporter = opts.exporter;
  const spanProcessors = exporter
    ? [opts.simple ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter)]
    : undefined;
  const sdk = new NodeSDK({
    serviceName: opts.serviceName ?? process.env.OTEL_SERVICE_NAME ?? 'tikiti',
    ...(spanProcessors ? { spanProcessors } : {}),
    instrumentations: [
      new HttpInstrumentation({
        // Scrapes and probes are noise in traces.
        ignoreIncomingRequestHook: (req) => /^\/(metrics|health\/(live|ready))(\?|$)/.test(req.url ?? ''),
      }),
      new PgInstrumentation({ enhancedDatabaseReporting: false }),
      new FastifyOtelInstrumentation({ registerOnInitialization: true }),
    ],
  });
  sdk.start();
  // The instrumentations patch modules as they are required. Under ESM, `pg` and `node:http` may
  // already be loaded (static imports run before any code): requiring them again now lets the
  // hooks patch the shared exports (pg's Client.prototype, http.Server.prototype), so the order of
  // imports does not matter.
  const require = createRequire(import.meta.url);
  for (const m of ['http', 'https', 'pg', 'pg-pool']) {
    try {
      require(m);
    } catch {
      // not installed: nothing to patch
    }
  }
  const handle: TracingHandle = {
    sdk,
    async shutdown() {
      active = undefined;
      await sdk.shutdown();
    },
  };
  active = handle;
  return handle;
}

export function tracingActive(): boolean {
  return active !== undefined;
}
