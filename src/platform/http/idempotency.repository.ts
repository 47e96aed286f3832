import { sql } from 'kysely';
import type { Db } from '../db/database.js';

export interface IdempotencyClaim {
  scope: string;
  key: string;
  fingerprint: string;
  method: string;
  path: string;
  /** The id the request will give what it creates (kept across a takeover). */
  resourceId: string;
}

export interface IdempotencyRecord {
  scope: string;
  key: string;
  fingerprint: string;
  status: 'in_progress' | 'done';
  response_code: number | null;
  response_body: string | null;
  response_content_type: string | null;
  resource_id: string | null;
  stale: boolean;
}

export interface IdempotencyCompletion {
  scope: string;
  key: string;
  code: number;
  body: string;
  contentType: string;
}

/** All SQL of idempotency keys. Claims and completions take many keys per statement (group commit). */
export class IdempotencyRepository {
  constructor(private readonly db: Db) {}

  /** insertKeys: INSERT … ON CONFLICT DO NOTHING; returns the keys this call claimed. */
  async insertKeys(claims: IdempotencyClaim[]): Promise<Set<string>> {
    const { rows } = await sql<{ scope: string; key: string }>`
      /* idempotency.insertKeys */
      insert into idempotency_keys (scope, key, fingerprint, method, path, resource_id)
      select * from unnest(
        ${claims.map((c) => c.scope)}::text[], ${claims.map((c) => c.key)}::text[],
        ${claims.map((c) => c.fingerprint)}::text[], ${claims.map((c) => c.method)}::text[],
        ${claims.map((c) => c.path)}::text[], ${claims.map((c) => c.resourceId)}::uuid[])
      on conflict do nothing
      returning scope, key`.execute(this.db);
    return new Set(rows.map((r) => `${r.scope}\u0000${r.key}`));
  }

  /** findKeys: the stored rows for these keys; `stale` when in progress for longer than staleSeconds. */
  async findKeys(keys: { scope: string; key: string }[], staleSeconds: number): Promise<IdempotencyRecord[]> {
    const { rows } = await sql<IdempotencyRecord>`
      /* idempotency.findKeys */
      select k.scope, k.key, k.fingerprint, k.status, k.response_code, k.response_body, k.response_content_type, k.resource_id,
             (k.status = 'in_progress' and k.locked_at < now() - make_interval(secs => ${staleSeconds})) as stale
      from idempotency_keys k
      join unnest(${keys.map((k) => k.scope)}::text[], ${keys.map((k) => k.key)}::text[]) as i(scope, key)
        on i.scope = k.scope and i.key = k.key`.execute(this.db);
    return rows;
  }

  /** relockStale: take over a key whose request died mid-flight (crash); true if this call got it. */
  async relockStale(scope: string, key: string, fingerprint: string, staleSeconds: number): Promise<boolean> {
    const res = await this.db
      .updateTable('idempotency_keys')
      .set({ locked_at: sql`now()` })
      .where('scope', '=', scope)
      .where('key', '=', key)
      .where('fingerprint', '=', fingerprint)
      .where('status', '=', 'in_progress')
      .where('locked_at', '<', sql<Date>`now() - make_interval(secs => ${staleSeconds})`)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** completeKeys: store the responses of finished requests. */
  async completeKeys(done: IdempotencyCompletion[]): Promise<void> {
    await sql`
      /* idempotency.completeKeys */
      update idempotency_keys k
      set status = 'done', response_code = d.code, response_body = d.body,
          response_content_type = d.content_type, completed_at = now()
      from unnest(${done.map((d) => d.scope)}::text[], ${done.map((d) => d.key)}::text[],
                  ${done.map((d) => d.code)}::int[], ${done.map((d) => d.body)}::text[],
                  ${done.map((d) => d.contentType)}::text[]) as d(scope, key, code, body, content_type)
      where k.scope = d.scope and k.key = d.key and k.status = 'in_progress'`.execute(this.db);
  }

  /** deleteKey: release an in-progress key (the request failed with a retryable error). */
  async deleteKey(scope: string, key: string): Promise<void> {
    await this.db
      .deleteFrom('idempotency_keys')
      .where('scope', '=', scope)
      .where('key', '=', key)
      .where('status', '=', 'in_progress')
      .execute();
  }

  /** purgeExpired: drop keys older than the retention window. */
  async purgeExpired(retentionHours: number): Promise<number> {
    const res = await this.db
      .deleteFrom('idempotency_keys')
      .where('created_at', '<', sql<Date>`now() - make_interval(hours => ${retentionHours})`)
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}
