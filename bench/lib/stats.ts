/** Small statistics helpers for benchmark reports. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

type Summary<P extends readonly number[]> = { [K in P[number] as `p${K}_ms`]: number } & { max_ms: number };

/** `p<N>_ms` for each of `ps` (default p50/p95/p99), then max_ms, in ms to 2 decimals (unsorted input). */
export function latencySummary<const P extends readonly number[] = readonly [50, 95, 99]>(
  latencies: number[],
  ps: P = [50, 95, 99] as unknown as P,
): Summary<P> {
  const s = [...latencies].sort((a, b) => a - b);
  const out: Record<string, number> = {};
  for (const p of ps) out[`p${p}_ms`] = round(percentile(s, p), 2);
  out.max_ms = round(s[s.length - 1] ?? 0, 2);
  return out as Summary<P>;
}
