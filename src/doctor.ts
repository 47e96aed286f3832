import type { AppContext } from './context.js';
import { ping } from './platform/db/database.js';
import { pendingMigrations } from './platform/db/migrate.js';
import type { CounterDrift } from './modules/inventory/inventory.repository.js';

export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface DoctorReport {
  ok: boolean;
  checks: DoctorCheck[];
}

/**
 * Operational checks. Config was already validated at boot (a bad one never gets here).
 * Each check is independent; one failing does not hide the others.
 */
export async function runDoctor(ctx: AppContext, opts: { repair: boolean }): Promise<DoctorReport> {
  const checks: DoctorCheck[] = [];
  checks.push({
    name: 'config',
    ok: true,
    detail: ctx.config.embedded ? `valid; embedded PostgreSQL in ${ctx.config.dataDir}` : 'valid; using DATABASE_URL',
  });
  let dbOk = false;
  try {
    const ms = await ping(ctx.db);
    dbOk = true;
    checks.push({ name: 'database', ok: true, detail: `reachable (${ms.toFixed(1)} ms)` });
  } catch (e) {
    checks.push({ name: 'database', ok: false, detail: `unreachable: ${(e as Error).message}` });
  }
  if (dbOk) {
    const pending = await pendingMigrations(ctx.db);
    checks.push({
      name: 'migrations',
      ok: pending.length === 0,
      detail: pending.length === 0 ? 'up to date' : `pending: ${pending.join(', ')} (run: tikiti migrate)`,
    });
    if (pending.length === 0) checks.push(await counterCheck(ctx, opts.repair));
  }
  return { ok: checks.every((c) => c.ok), checks };
}

/**
 * Invariant 6: held/sold per ticket type recounted from the holds (pending bookings → held,
 * confirmed → sold) must equal the stored counters. Reports drift per ticket type; with --repair,
 * sets the counters to the recount and logs each change.
 */
export async function counterCheck(ctx: AppContext, repair: boolean): Promise<DoctorCheck> {
  const drift = await ctx.inventory.recount();
  if (drift.length === 0) return { name: 'counters', ok: true, detail: 'held and sold match the holds for every ticket type' };
  const describe = (d: CounterDrift) =>
    `ticket type ${d.ticketTypeId}: held ${d.held} (recount ${d.expectedHeld}), sold ${d.sold} (recount ${d.expectedSold})`;
  if (!repair) {
    return {
      name: 'counters',
      ok: false,
      detail: `${drift.length} ticket type(s) drift (run: tikiti doctor --repair): ${drift.map(describe).join('; ')}`,
    };
  }
  const changed = await ctx.inventory.repair(drift.map((d) => d.ticketTypeId));
  for (const d of changed) {
    ctx.log.warn({ ticketTypeId: d.ticketTypeId, held: [d.held, d.expectedHeld], sold: [d.sold, d.expectedSold] }, 'doctor repaired counters');
  }
  const left = await ctx.inventory.recount(drift.map((d) => d.ticketTypeId));
  return {
    name: 'counters',
    ok: left.length === 0,
    detail: `repaired ${changed.length} ticket type(s): ${changed.map(describe).join('; ')}${left.length ? `; still drifting: ${left.length}` : ''}`,
  };
}
