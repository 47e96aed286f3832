import type { WorkerEvents } from 'graphile-worker';
import type { Metrics } from './metrics.js';

/**
 * Time every job a graphile-worker runner executes: `tikiti_job_duration_seconds{task,outcome}`.
 * Call once per runner, right after `run(...)`:  observeJobs(runner.events, ctx.metrics)
 * (or pass an `events` emitter in the run options and observe that).
 */
export function observeJobs(events: WorkerEvents, metrics: Metrics): () => void {
  const started = new Map<string, number>();
  const onStart = ({ job }: { job: { id: string } }) => {
    started.set(job.id, performance.now());
  };
  const onComplete = ({ job, error }: { job: { id: string; task_identifier: string }; error: unknown }) => {
    const t0 = started.get(job.id);
    started.delete(job.id);
    if (t0 === undefined) return;
    metrics.jobDuration.observe(
      { task: job.task_identifier, outcome: error ? 'error' : 'success' },
      (performance.now() - t0) / 1000,
    );
  };
  events.on('job:start', onStart);
  events.on('job:complete', onComplete);
  return () => {
    events.off('job:start', onStart);
    events.off('job:complete', onComplete);
  };
}
