import type { LogEvent } from 'kysely';
import { nameOfQuery } from './queryNames.js';

export type QueryListener = (name: string, seconds: number, failed: boolean) => void;

/**
 * Kysely's `log` hook for one database handle: every query (inside transactions too) reports
 * its name and duration to the listeners (the metrics of the contexts built on that handle).
 */
export class QueryObserver {
  private readonly listeners = new Set<QueryListener>();

  readonly log = (event: LogEvent): void => {
    if (this.listeners.size === 0) return;
    const name = nameOfQuery(event.query.sql);
    const seconds = event.queryDurationMillis / 1000;
    const failed = event.level === 'error';
    for (const l of this.listeners) l(name, seconds, failed);
  };

  subscribe(listener: QueryListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
