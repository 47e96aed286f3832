import { sql, type Kysely } from 'kysely';

/** Accounts, organizers, venues, events and ticket types. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- UUIDv7: time-ordered ids (index-friendly) generated in SQL so batched inserts need no round trip.
    create or replace function uuid_generate_v7() returns uuid language sql volatile as $$
      select encode(
        set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
          placing substring(int8send(floor(extract(epoch from clock_timestamp()) * 1000)::bigint) from 3)
          from 1 for 6), 52, 1), 53, 1), 'hex')::uuid
    $$;

    create table users (
      id uuid primary key default uuid_generate_v7(),
      email text not null,
      name text not null,
      password_hash text not null,
      is_admin boolean not null default false,
      disabled_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint users_email_lowercase check (email = lower(email))
    );
    create unique index users_email_key on users (email);

    create table refresh_tokens (
      id uuid primary key default uuid_generate_v7(),
      user_id uuid not null references users(id) on delete cascade,
      family_id uuid not null,
      token_hash text not null unique,
      expires_at timestamptz not null,
      rotated_at timestamptz,
      revoked_at timestamptz,
      created_at timestamptz not null default now()
    );
    create index refresh_tokens_family_idx on refresh_tokens (family_id);
    create index refresh_tokens_user_idx on refresh_tokens (user_id);

    create table login_failures (
      id bigserial primary key,
      email text not null,
      ip text not null,
      created_at timestamptz not null default now()
    );
    create index login_failures_email_idx on login_failures (email, created_at);
    create index login_failures_ip_idx on login_failures (ip, created_at);

    create table organizers (
      id uuid primary key default uuid_generate_v7(),
      name text not null,
      slug text not null unique,
      commission_bps integer not null default 500 check (commission_bps between 0 and 10000),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );

    create table organizer_members (
      organizer_id uuid not null references organizers(id) on delete cascade,
      user_id uuid not null references users(id) on delete cascade,
      role text not null check (role in ('owner', 'manager', 'gate')),
      created_at timestamptz not null default now(),
      primary key (organizer_id, user_id)
    );
    create index organizer_members_user_idx on organizer_members (user_id);

    create table venues (
      id uuid primary key default uuid_generate_v7(),
      organizer_id uuid not null references organizers(id) on delete cascade,
      name text not null,
      city text not null,
      country char(2) not null,
      timezone text not null,
      capacity integer not null check (capacity > 0),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index venues_organizer_idx on venues (organizer_id);

    create table events (
      id uuid primary key default uuid_generate_v7(),
      organizer_id uuid not null references organizers(id) on delete cascade,
      venue_id uuid not null references venues(id),
      name text not null,
      description text not null default '',
      starts_at timestamptz not null,
      ends_at timestamptz not null,
      timezone text not null,
      status text not null default 'draft' check (status in ('draft', 'published', 'completed', 'cancelled')),
      hold_minutes integer not null default 15 check (hold_minutes between 1 and 240),
      search_vector tsvector,
      published_at timestamptz,
      cancelled_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint events_ends_after_starts check (ends_at > starts_at)
    );
    create index events_organizer_idx on events (organizer_id);
    create index events_published_starts_idx on events (starts_at, id) where status = 'published';
    create index events_search_idx on events using gin (search_vector);

    create table ticket_types (
      id uuid primary key default uuid_generate_v7(),
      event_id uuid not null references events(id) on delete cascade,
      name text not null,
      description text not null default '',
      price bigint not null check (price >= 0),
      currency char(3) not null,
      capacity integer not null check (capacity >= 0),
      held integer not null default 0,
      sold integer not null default 0,
      sales_start timestamptz,
      sales_end timestamptz,
      min_per_order integer not null default 1 check (min_per_order >= 1),
      max_per_order integer not null default 10,
      visibility text not null default 'public' check (visibility in ('public', 'hidden')),
      sort_order integer not null default 0,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      -- Invariant 1: never oversell. Whatever the code does, the database refuses it.
      constraint ticket_types_never_oversell check (held >= 0 and sold >= 0 and held + sold <= capacity),
      constraint ticket_types_order_limits check (max_per_order >= min_per_order),
      constraint ticket_types_sales_window check (sales_end is null or sales_start is null or sales_end > sales_start)
    );
    create index ticket_types_event_idx on ticket_types (event_id);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop table if exists ticket_types, events, venues, organizer_members, organizers,
      login_failures, refresh_tokens, users cascade;
    drop function if exists uuid_generate_v7();
  `.execute(db);
}
