import { sql, type Kysely } from 'kysely';

/**
 * Bookings, their holds (one row per ticket type in a booking) and idempotency keys.
 * A hold counts in `ticket_types.held` while its booking is pending and in `sold` once confirmed;
 * `tikiti doctor` recounts both from these rows.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table bookings (
      id uuid primary key default uuid_generate_v7(),
      event_id uuid not null references events(id),
      user_id uuid references users(id) on delete set null,
      status text not null default 'pending' check (status in ('pending', 'confirmed', 'cancelled', 'expired')),
      buyer_name text not null,
      buyer_email text not null,
      buyer_phone text not null,
      -- Guests read their booking with a token; only its SHA-256 is stored.
      access_token_hash text,
      total bigint not null check (total >= 0),
      currency char(3) not null,
      expires_at timestamptz not null,
      confirmed_at timestamptz,
      cancelled_at timestamptz,
      expired_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index bookings_user_idx on bookings (user_id, id desc) where user_id is not null;
    create index bookings_event_idx on bookings (event_id);
    create index bookings_pending_expiry_idx on bookings (expires_at) where status = 'pending';

    create table holds (
      id uuid primary key default uuid_generate_v7(),
      booking_id uuid not null references bookings(id) on delete cascade,
      ticket_type_id uuid not null references ticket_types(id),
      quantity integer not null check (quantity > 0),
      unit_price bigint not null check (unit_price >= 0),
      created_at timestamptz not null default now(),
      constraint holds_one_per_ticket_type unique (booking_id, ticket_type_id)
    );
    create index holds_ticket_type_idx on holds (ticket_type_id);

    -- Idempotency keys (Stripe / IETF draft): one row per caller scope and key, kept 24 h.
    create table idempotency_keys (
      scope text not null,
      key text not null,
      fingerprint text not null,
      method text not null,
      path text not null,
      status text not null default 'in_progress' check (status in ('in_progress', 'done')),
      response_code integer,
      response_body text,
      response_content_type text,
      locked_at timestamptz not null default now(),
      created_at timestamptz not null default now(),
      completed_at timestamptz,
      primary key (scope, key)
    );
    create index idempotency_keys_created_idx on idempotency_keys (created_at);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists idempotency_keys, holds, bookings cascade`.execute(db);
}
