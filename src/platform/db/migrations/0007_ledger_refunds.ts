import { sql, type Kysely } from 'kysely';

/**
 * Ledger and refunds, what 0005 left to them:
 *  - ledger_transactions.payment_id: the payment a posting belongs to, so a refund's share of
 *    the commission is computed from the payment's own postings (proportional, never more than
 *    was charged);
 *  - an automatic refund (late or duplicate payment) exists at most once per payment, and an
 *    event-cancellation refund at most once per booking (jobs may run twice);
 *  - failed refunds are listed for operators (partial index).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table ledger_transactions add column payment_id uuid references payments(id);
    create index ledger_transactions_payment_idx on ledger_transactions (payment_id) where payment_id is not null;

    create unique index refunds_auto_once on refunds (payment_id) where reason in ('late_payment', 'duplicate_payment');
    create unique index refunds_event_cancelled_once on refunds (booking_id) where reason = 'event_cancelled';
    create index refunds_failed_idx on refunds (created_at) where status = 'failed';
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop index if exists refunds_failed_idx;
    drop index if exists refunds_event_cancelled_once;
    drop index if exists refunds_auto_once;
    drop index if exists ledger_transactions_payment_idx;
    alter table ledger_transactions drop column if exists payment_id;
  `.execute(db);
}
