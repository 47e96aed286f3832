/** Small statistics helpers for benchmark reports. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** p50/p95/p99/max of latencies in ms (unsorted input). */
export function latencySummary(latencies: number[]) {
  const s = [...latencies].sort((a, b) => a - b);
  return {
    p50_ms: round(percentile(s, 50), 2),
    p95_ms: round(percentile(s, 95), 2),
    p99_ms: round(percentile(s, 99), 2),
    max_ms: round(s[s.length - 1] ?? 0, 2),
  };
}
