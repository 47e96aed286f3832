import { runMigrations } from 'graphile-worker';
import { jobsLogger } from './logger.js';

/** Install or upgrade graphile-worker's schema (`graphile_worker`). Run with `migrate` and at start-up. */
export async function migrateJobs(connectionString: string): Promise<void> {
  await runMigrations({ connectionString, maxPoolSize: 2, logger: jobsLogger() });
}
