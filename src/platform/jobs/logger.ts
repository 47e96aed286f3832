import { Logger as WorkerLogger, type LogLevel } from 'graphile-worker';
import type { Logger } from 'pino';

/** graphile-worker's logs through pino (or nowhere). */
export function jobsLogger(log?: Logger): WorkerLogger {
  return new WorkerLogger(() => (level: LogLevel, message: string, meta?: unknown) => {
    if (!log) return;
    const m = { ...(meta as object), source: 'graphile-worker' };
    const l = level as string;
    if (l === 'error') log.error(m, message);
    else if (l === 'warning') log.warn(m, message);
    else if (l === 'info') log.debug(m, message);
    else log.trace(m, message);
  });
}
