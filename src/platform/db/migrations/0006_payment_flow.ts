import { sql, type Kysely } from 'kysely';

/**
 * The payment flow's bookkeeping beyond 0005:
 *  - payments.outcome_reason: why a successful payment ended as it did (e.g. "hold expired and
 *    ticket type X has no room left" for refunded_late), so support can answer the buyer;
 *  - an index for the fraud signals per buyer email (payments joined to bookings by email).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table payments add column outcome_reason text;
    create index if not exists bookings_buyer_email_idx on bookings (buyer_email, created_at);
    create index if not exists payments_user_idx on payments (user_id, created_at) where user_id is not null;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop index if exists payments_user_idx;
    drop index if exists bookings_buyer_email_idx;
    alter table payments drop column if exists outcome_reason;
  `.execute(db);
}
