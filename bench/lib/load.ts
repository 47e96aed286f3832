/** Load-generation helpers: concurrent request loops over keep-alive pools. */
import crypto from 'node:crypto';
import type { Pool } from 'undici';

/**
 * `connections` concurrent loops; loop c sends through `pools[c % pools.length]`. Each iteration
 * calls `send(pool, i, c)` with a shared counter i = 0, 1, 2, …. Stops when a send returns false,
 * when i reaches `count`, or once `seconds` have passed (checked before each request).
 * The pools stay open (the caller owns them).
 */
export async function drive(
  pools: Pool | Pool[],
  connections: number,
  send: (pool: Pool, i: number, c: number) => Promise<boolean | void>,
  o: { seconds?: number; count?: number } = {},
): Promise<{ elapsedMs: number }> {
  const list = Array.isArray(pools) ? pools : [pools];
  const count = o.count ?? Infinity;
  const started = performance.now();
  const until = o.seconds ? started + o.seconds * 1000 : Infinity;
  let stop = false;
  let counter = 0;
  await Promise.all(
    Array.from({ length: connections }, async (_, c) => {
      const pool = list[c % list.length]!;
      while (!stop && performance.now() < until) {
        const i = counter++;
        if (i >= count) return;
        if ((await send(pool, i, c)) === false) stop = true;
      }
    }),
  );
  return { elapsedMs: performance.now() - started };
}

/** The HTTP ceiling: GET /health/live (a trivial route) from `connections` loops for `seconds`; 200 answers per second. */
export async function httpCeiling(pools: Pool | Pool[], connections: number, seconds: number): Promise<number> {
  let n = 0;
  const { elapsedMs } = await drive(
    pools,
    connections,
    async (pool) => {
      const res = await pool.request({ method: 'GET', path: '/health/live' });
      await res.body.text();
      if (res.statusCode === 200) n++;
    },
    { seconds },
  );
  return n / (elapsedMs / 1000);
}

/** Fisher–Yates in place (crypto.randomInt). */
export function shuffle<T>(a: T[]): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = crypto.randomInt(0, i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
