import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { isPgError } from '../db/database.js';

export interface TaskBacklog {
  task: string;
  /** Due now and waiting for a worker. */
  ready: number;
  /** Scheduled for later (run_at in the future). */
  scheduled: number;
  /** Locked by a worker right now. */
  running: number;
  /** Out of attempts: will not run again without intervention. */
  failed: number;
  /** Age of the oldest job that is due and waiting, in seconds (0 when none). */
  oldestReadySeconds: number;
}

/** The graphile-worker queue by task, or null when its schema is not installed. */
export async function findJobBacklog(db: Db): Promise<TaskBacklog[] | null> {
  try {
    const { rows } = await sql<{
      task: string;
      ready: number;
      scheduled: number;
      running: number;
      failed: number;
      oldest_ready_seconds: number;
    }>`/* observability.jobBacklog */
      select task_identifier as task,
        count(*) filter (where locked_at is null and attempts < max_attempts and run_at <= now())::int as ready,
        count(*) filter (where locked_at is null and attempts < max_attempts and run_at > now())::int as scheduled,
        count(*) filter (where locked_at is not null)::int as running,
        count(*) filter (where locked_at is null and attempts >= max_attempts)::int as failed,
        coalesce(extract(epoch from now() - min(run_at) filter (
          where locked_at is null and attempts < max_attempts and run_at <= now())), 0)::float8 as oldest_ready_seconds
      from graphile_worker.jobs
      group by task_identifier
      order by task_identifier`.execute(db);
    return rows.map((r) => ({
      task: r.task,
      ready: r.ready,
      scheduled: r.scheduled,
      running: r.running,
      failed: r.failed,
      oldestReadySeconds: Math.round(r.oldest_ready_seconds * 10) / 10,
    }));
  } catch (e) {
    // 3F000 no such schema, 42P01 no such relation: the job tables are not installed.
    if (isPgError(e, '3F000') || isPgError(e, '42P01')) return null;
    throw e;
  }
}
