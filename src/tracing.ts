/**
 * Turns OpenTelemetry tracing on when OTEL_EXPORTER_OTLP_ENDPOINT (or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set; otherwise does nothing and loads nothing.
 *
 * main.ts calls it before building the runtime and the app. Under ESM the static imports of
 * main.ts (pg, fastify) are already loaded by then; startTracing re-requires `pg` and `http` so
 * the instrumentations patch them anyway, and Fastify is instrumented when the app is created
 * (diagnostics channel). It may also be preloaded: `node --import ./dist/tracing.js dist/main.js serve`.
 */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

let stop: (() => Promise<void>) | undefined;

export async function startTracingFromEnv(role: string): Promise<boolean> {
  if (!tracingRequested() || stop) return Boolean(stop);
  const { startTracing } = await import('./platform/observability/tracing.js');
  const handle = startTracing({ serviceName: process.env.OTEL_SERVICE_NAME ?? `tikiti-${role}` });
  stop = () => handle.shutdown();
  return true;
}

/** Flush and stop tracing (at shutdown); a no-op when tracing is off. */
export async function stopTracing(): Promise<void> {
  const s = stop;
  stop = undefined;
  await s?.().catch(() => {});
}

// As a preload (`node --import`): start right away.
if (process.argv.some((a) => a === 'serve' || a === 'worker')) {
  await startTracingFromEnv(process.argv.includes('worker') ? 'worker' : 'serve');
}
