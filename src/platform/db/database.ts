import pg from 'pg';
import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import type { Database } from './schema.js';
import { AppError, errors } from '../errors.js';
import { QueryObserver } from '../observability/queryObserver.js';

// int8 (counts, money totals) as JS numbers: every value Tikiti stores fits in 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
/** Either the pool-backed database or a transaction; repositories accept both. */
export type Executor = Kysely<Database>;

export interface DbHandle {
  db: Db;
  pool: pg.Pool;
  url: string;
  close(): Promise<void>;
}

const internals = new WeakMap<object, { pool: pg.Pool; queries: QueryObserver }>();

/** The pool and query observer behind a Db made by createDb (metrics read pool usage and query times). */
export function dbInternals(db: Db): { pool: pg.Pool; queries: QueryObserver } | undefined {
  return internals.get(db);
}

export function createDb(url: string, opts: { max?: number; applicationName?: string } = {}): DbHandle {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 20,
    application_name: opts.applicationName ?? 'tikiti',
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  // A dropped idle connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  // Query durations by name for metrics (platform/observability): Kysely reports every query.
  const queries = new QueryObserver();
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log: queries.log });
  internals.set(db, { pool, queries });
  let closed = false;
  return {
    db,
    pool,
    url,
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}

export async function ping(db: Db): Promise<number> {
  const started = performance.now();
  await sql`select 1`.execute(db);
  return performance.now() - started;
}

/** PostgreSQL SQLSTATE codes Tikiti reacts to. */
export const PgCode = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  checkViolation: '23514',
  notNullViolation: '23502',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
  lockNotAvailable: '55P03',
  queryCanceled: '57014',
  invalidTextRepresentation: '22P02',
  characterNotInRepertoire: '22021',
  untranslatableCharacter: '22P05',
} as const;

export interface PgError extends Error {
  code: string;
  constraint?: string;
  detail?: string;
}

export function isPgError(e: unknown, code?: string): e is PgError {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as { code?: unknown }).code === 'string' &&
    /^[0-9A-Z]{5}$/.test((e as { code: string }).code) &&
    (code === undefined || (e as { code: string }).code === code)
  );
}

/**
 * Translate a PostgreSQL error into an AppError. Repositories call this in their catch blocks,
 * passing what a unique or check violation means for that query; anything unrecognised is
 * rethrown unchanged (and becomes a 500 with no details leaked).
 */
export function translatePgError(
  e: unknown,
  meaning: { unique?: (constraint?: string) => AppError; check?: (constraint?: string) => AppError; foreignKey?: (constraint?: string) => AppError } = {},
): never {
  if (e instanceof AppError) throw e;
  if (isPgError(e)) {
    switch (e.code) {
      case PgCode.uniqueViolation:
        if (meaning.unique) throw meaning.unique(e.constraint);
        break;
      case PgCode.checkViolation:
        if (meaning.check) throw meaning.check(e.constraint);
        break;
      case PgCode.foreignKeyViolation:
        if (meaning.foreignKey) throw meaning.foreignKey(e.constraint);
        break;
      case PgCode.serializationFailure:
      case PgCode.deadlockDetected:
      case PgCode.lockNotAvailable:
        throw errors.busy();
      case PgCode.queryCanceled:
        throw errors.timeout();
    }
  }
  throw e;
}

/** Retry a transaction body on serialization failures and deadlocks. */
export async function withRetry<T>(fn: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      const retryable = isPgError(e, PgCode.serializationFailure) || isPgError(e, PgCode.deadlockDetected);
      if (!retryable || i >= attempts) throw e;
      await new Promise((r) => setTimeout(r, Math.random() * 10 * i));
    }
  }
}
