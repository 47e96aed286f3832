import { run, type Runner } from 'graphile-worker';
import type { AppContext } from '../../context.js';
import { jobsLogger } from './logger.js';
import { observeJobs } from '../observability/jobMetrics.js';
import { migrateJobs } from './migrate.js';
import { CRONTAB, EXPIRY_SWEEP_KEY, TASKS, taskList } from './tasks.js';

export interface WorkerHandle {
  runner: Runner;
  stop(): Promise<void>;
}

/**
 * Start a graphile-worker pool for Tikiti's tasks: the `worker` role, the in-process worker of
 * `serve` (WORKER_IN_PROCESS=true), or a test that needs jobs to run.
 */
export async function startWorker(
  ctx: AppContext,
  o: { connectionString: string; concurrency?: number; pollInterval?: number; crontab?: boolean },
): Promise<WorkerHandle> {
  const concurrency = o.concurrency ?? ctx.config.WORKER_CONCURRENCY;
  await migrateJobs(o.connectionString);
  const runner = await run({
    connectionString: o.connectionString,
    maxPoolSize: concurrency + 2,
    concurrency,
    pollInterval: o.pollInterval ?? 1000,
    noHandleSignals: true,
    taskList: taskList(ctx),
    crontab: o.crontab === false ? '' : CRONTAB,
    logger: jobsLogger(ctx.log.child({ component: 'worker' })),
  });
  const unobserve = observeJobs(runner.events, ctx.metrics);
  // Start the sub-minute sweep chain (a no-op if it is already scheduled).
  await runner.addJob(TASKS.expirySweep, {}, { jobKey: EXPIRY_SWEEP_KEY, jobKeyMode: 'preserve_run_at' });
  let stopped = false;
  return {
    runner,
    async stop() {
      if (stopped) return;
      stopped = true;
      await runner.stop();
      unobserve();
    },
  };
}
