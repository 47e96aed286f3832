import type { AppContext } from './context.js';
import { ping } from './platform/db/database.js';
import { pendingMigrations } from './platform/db/migrate.js';

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
export async function runDoctor(ctx: AppContext, _opts: { repair: boolean }): Promise<DoctorReport> {
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
  }
  return { ok: checks.every((c) => c.ok), checks };
}
