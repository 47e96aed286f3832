import { sql, type Kysely } from 'kysely';

/**
 * The id of what an idempotent request creates, chosen when its key is first claimed. A request
 * that died after committing but before its response was stored leaves the key in progress; the
 * retry that takes the key over finds the resource by this id instead of creating a second one.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table idempotency_keys add column resource_id uuid`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table idempotency_keys drop column if exists resource_id`.execute(db);
}
