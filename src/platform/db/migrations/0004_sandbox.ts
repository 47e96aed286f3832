import { sql, type Kysely } from 'kysely';

/**
 * State of the built-in MTN MoMo simulator (src/modules/payments/sandbox): one row per
 * request-to-pay or refund it accepted, so several server processes answer the same status.
 * The outcome is decided when the request arrives (from the payer's test number) and becomes
 * visible once `decide_at` has passed; `decide_at` null means "stays PENDING forever".
 * Only the sandbox reads or writes this table; production installs leave it empty.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table sandbox_momo_transactions (
      kind text not null check (kind in ('requesttopay', 'refund')),
      reference_id uuid not null,
      api_user text not null,
      target_environment text not null,
      amount text not null,
      currency char(3) not null,
      external_id text not null,
      party_id_type text not null,
      party_id text not null,
      payer_message text,
      payee_note text,
      callback_url text,
      reference_id_to_refund uuid,
      outcome text not null check (outcome in ('SUCCESSFUL', 'FAILED')),
      reason text,
      decide_at timestamptz,
      financial_transaction_id text not null,
      callback_sent_at timestamptz,
      created_at timestamptz not null default now(),
      primary key (kind, reference_id)
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists sandbox_momo_transactions`.execute(db);
}
