import { sql, type Kysely } from 'kysely';

/**
 * Payments, the webhook inbox, refunds and the double-entry ledger.
 *
 * Invariants held by the database:
 *  - a provider payment is recorded once (unique provider + provider_ref);
 *  - at most one successful payment is APPLIED to a booking (partial unique index); any other
 *    success is refunded automatically;
 *  - a webhook event is stored once (unique provider + event_id);
 *  - refunds never exceed what was paid (payments.refunded_amount <= amount) and never exceed
 *    the tickets held (holds.refunded_quantity <= quantity);
 *  - every ledger transaction balances (deferred constraint trigger: debits = credits at commit),
 *    and is posted once per business reference (unique kind + reference_id).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table bookings drop constraint bookings_status_check;
    alter table bookings add constraint bookings_status_check
      check (status in ('pending', 'confirmed', 'cancelled', 'expired', 'refunded', 'partially_refunded'));
    alter table bookings add column refunded_amount bigint not null default 0;
    alter table bookings add constraint bookings_refund_within_total check (refunded_amount >= 0 and refunded_amount <= total);

    alter table holds add column refunded_quantity integer not null default 0;
    alter table holds add constraint holds_refund_within_quantity check (refunded_quantity >= 0 and refunded_quantity <= quantity);

    create table payments (
      id uuid primary key default uuid_generate_v7(),
      booking_id uuid not null references bookings(id),
      user_id uuid references users(id) on delete set null,
      method text not null check (method in ('momo', 'card')),
      provider text not null,
      provider_ref text,
      status text not null default 'pending' check (status in ('pending', 'succeeded', 'failed')),
      -- What became of a success: applied to the booking, or refunded because it could not be.
      outcome text check (outcome in ('applied', 'refunded_late', 'refunded_duplicate')),
      amount bigint not null check (amount >= 0),
      currency char(3) not null,
      refunded_amount bigint not null default 0,
      payer_phone text,
      client_ip text,
      failure_reason text,
      fraud_score integer not null default 0 check (fraud_score between 0 and 100),
      fraud_reasons jsonb not null default '[]',
      -- null: not flagged; pending: flagged for review; approved / rejected: an admin decided.
      review_status text check (review_status in ('pending', 'approved', 'rejected')),
      reviewed_by uuid references users(id),
      reviewed_at timestamptz,
      review_note text,
      poll_attempts integer not null default 0,
      succeeded_at timestamptz,
      failed_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint payments_refund_within_amount check (refunded_amount >= 0 and refunded_amount <= amount),
      constraint payments_outcome_only_on_success check (outcome is null or status = 'succeeded')
    );
    create unique index payments_provider_ref_key on payments (provider, provider_ref) where provider_ref is not null;
    create unique index payments_one_applied_per_booking on payments (booking_id) where outcome = 'applied';
    create index payments_booking_idx on payments (booking_id);
    create index payments_pending_idx on payments (created_at) where status = 'pending';
    create index payments_review_idx on payments (created_at) where review_status = 'pending';
    create index payments_phone_idx on payments (payer_phone, created_at);
    create index payments_ip_idx on payments (client_ip, created_at);

    create table webhook_events (
      id uuid primary key default uuid_generate_v7(),
      provider text not null,
      event_id text not null,
      type text not null,
      provider_ref text,
      payload jsonb not null,
      status text not null default 'received' check (status in ('received', 'processed', 'ignored', 'failed')),
      attempts integer not null default 0,
      error text,
      received_at timestamptz not null default now(),
      processed_at timestamptz,
      constraint webhook_events_once unique (provider, event_id)
    );
    create index webhook_events_unprocessed_idx on webhook_events (received_at) where status = 'received';

    create table refunds (
      id uuid primary key default uuid_generate_v7(),
      booking_id uuid not null references bookings(id),
      payment_id uuid not null references payments(id),
      amount bigint not null check (amount > 0),
      currency char(3) not null,
      -- requested (organizer/admin), event_cancelled, late_payment (hold expired, inventory gone),
      -- duplicate_payment (booking already paid)
      reason text not null check (reason in ('requested', 'event_cancelled', 'late_payment', 'duplicate_payment')),
      note text,
      -- [{ticketTypeId, quantity}] released by this refund; empty for auto refunds of unapplied payments.
      items jsonb not null default '[]',
      status text not null default 'pending' check (status in ('pending', 'succeeded', 'failed')),
      provider text not null,
      provider_ref text,
      failure_reason text,
      attempts integer not null default 0,
      requested_by uuid references users(id),
      succeeded_at timestamptz,
      failed_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index refunds_booking_idx on refunds (booking_id);
    create index refunds_payment_idx on refunds (payment_id);
    create index refunds_pending_idx on refunds (created_at) where status = 'pending';

    create table ledger_transactions (
      id uuid primary key default uuid_generate_v7(),
      kind text not null,
      reference_id uuid not null,
      organizer_id uuid references organizers(id),
      booking_id uuid references bookings(id),
      currency char(3) not null,
      description text not null default '',
      created_at timestamptz not null default now(),
      constraint ledger_transactions_once unique (kind, reference_id)
    );
    create index ledger_transactions_organizer_idx on ledger_transactions (organizer_id, created_at);

    create table ledger_entries (
      id uuid primary key default uuid_generate_v7(),
      transaction_id uuid not null references ledger_transactions(id),
      account text not null,
      organizer_id uuid references organizers(id),
      currency char(3) not null,
      debit bigint not null default 0 check (debit >= 0),
      credit bigint not null default 0 check (credit >= 0),
      created_at timestamptz not null default now(),
      constraint ledger_entries_one_side check ((debit = 0) <> (credit = 0))
    );
    create index ledger_entries_transaction_idx on ledger_entries (transaction_id);
    create index ledger_entries_account_idx on ledger_entries (account, currency);
    create index ledger_entries_organizer_idx on ledger_entries (organizer_id, created_at);

    -- Invariant 4 in the database: at commit, every ledger transaction balances in its currency.
    create function ledger_check_balanced() returns trigger language plpgsql as $$
    declare
      unbalanced record;
    begin
      select t.id, coalesce(sum(e.debit), 0) as d, coalesce(sum(e.credit), 0) as c,
             count(*) filter (where e.currency <> t.currency) as wrong_currency
        into unbalanced
        from ledger_transactions t left join ledger_entries e on e.transaction_id = t.id
       where t.id = new.transaction_id
       group by t.id;
      if unbalanced.d <> unbalanced.c or unbalanced.d = 0 or unbalanced.wrong_currency > 0 then
        raise exception 'ledger transaction % does not balance (debits %, credits %)', new.transaction_id, unbalanced.d, unbalanced.c
          using errcode = '23514', constraint = 'ledger_transaction_balanced';
      end if;
      return null;
    end $$;
    create constraint trigger ledger_entries_balanced
      after insert or update on ledger_entries
      deferrable initially deferred
      for each row execute function ledger_check_balanced();
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop trigger if exists ledger_entries_balanced on ledger_entries;
    drop function if exists ledger_check_balanced();
    drop table if exists ledger_entries, ledger_transactions, refunds, webhook_events, payments cascade;
    alter table holds drop column if exists refunded_quantity;
    alter table bookings drop constraint if exists bookings_refund_within_total;
    alter table bookings drop column if exists refunded_amount;
    alter table bookings drop constraint bookings_status_check;
    alter table bookings add constraint bookings_status_check check (status in ('pending', 'confirmed', 'cancelled', 'expired'));
  `.execute(db);
}
