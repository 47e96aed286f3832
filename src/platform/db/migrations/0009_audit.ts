import { sql, type Kysely } from 'kysely';

/**
 * The audit log of privileged actions (organizer, catalogue, member and account changes), and
 * account deletion: users keep their row (bookings, tickets and the ledger point at it) but lose
 * their personal data; `deleted_at` says so.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table audit_log (
      id uuid primary key default uuid_generate_v7(),
      -- Insertion order (several entries of one transaction share a millisecond): lists and cursors use it.
      seq bigint generated always as identity unique,
      -- Who did it; null for the system or the CLI. No foreign keys: the log outlives what it names.
      actor_user_id uuid,
      -- Dotted name: organizer.created, event.published, ticket_type.capacity_changed, user.disabled…
      action text not null check (action ~ '^[a-z][a-z_]*(\\.[a-z][a-z_]*)+$'),
      organizer_id uuid,
      target_type text not null,
      target_id text not null,
      request_id text,
      before jsonb,
      after jsonb,
      created_at timestamptz not null default now()
    );
    create index audit_log_organizer_idx on audit_log (organizer_id, seq desc) where organizer_id is not null;
    create index audit_log_action_idx on audit_log (action text_pattern_ops, seq desc);
    create index audit_log_target_idx on audit_log (target_type, target_id);
    create index audit_log_actor_idx on audit_log (actor_user_id, seq desc) where actor_user_id is not null;

    alter table users add column deleted_at timestamptz;
    -- The auth hook's cache of disabled accounts reads exactly these rows.
    create index users_disabled_idx on users (id) where disabled_at is not null;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop index if exists users_disabled_idx;
    alter table users drop column if exists deleted_at;
    drop table if exists audit_log;
  `.execute(db);
}
