import { context, isSpanContextValid, trace } from '@opentelemetry/api';

/**
 * pino `mixin`: adds the active span's `traceId` and `spanId` to every log line written while a
 * span is active (a request, a query, a job), so logs and traces join up. Without tracing there is
 * no active span and nothing is added. Only @opentelemetry/api is loaded here (cheap).
 */
export function traceMixin(): Record<string, string> {
  const span = trace.getSpan(context.active());
  if (!span) return {};
  const sc = span.spanContext();
  if (!isSpanContextValid(sc)) return {};
  return { traceId: sc.traceId, spanId: sc.spanId };
}
