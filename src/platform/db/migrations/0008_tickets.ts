import { sql, type Kysely } from 'kysely';

/**
 * Tickets and the gate (issue 5):
 *  - event_ticket_keys: one Ed25519 key pair per event (the private key encrypted at rest) and the
 *    event's sync version — bumped (row lock, so in commit order) by every issuance or revocation,
 *    which stamps the tickets it touches: offline devices download "changes since version N".
 *  - tickets: one per admission, unique per (hold, seq) so a re-processed confirmation issues
 *    nothing new; a short human code, unique; revoked_at + reason when refunded/cancelled.
 *  - checkin_lists: per event, which ticket types (empty = all) and which gates.
 *  - checkins: a ticket gets in ONCE PER LIST: unique (ticket_id, checkin_list_id), taken by one
 *    INSERT … ON CONFLICT DO NOTHING (online) or DO UPDATE … WHERE earlier (offline sync).
 *  - checkin_conflicts: offline scans of an already admitted ticket (and displaced admissions).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table event_ticket_keys (
      event_id uuid primary key references events(id) on delete cascade,
      -- 16 hex characters: the first 8 bytes of SHA-256 of the raw public key (also in every QR payload).
      key_id text not null unique check (key_id ~ '^[0-9a-f]{16}$'),
      public_key bytea not null check (length(public_key) = 32),
      -- PKCS#8 DER, AES-256-GCM encrypted with a key derived from TICKET_KEY_SECRET (default JWT secret).
      private_key_enc text not null,
      sync_version bigint not null default 0 check (sync_version >= 0),
      created_at timestamptz not null default now()
    );

    create table tickets (
      id uuid primary key,
      event_id uuid not null references events(id),
      booking_id uuid not null references bookings(id),
      hold_id uuid not null references holds(id),
      ticket_type_id uuid not null references ticket_types(id),
      seq integer not null check (seq > 0),
      code text not null check (code ~ '^[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{8}$'),
      holder_name text not null,
      key_id text not null,
      qr_payload text not null,
      revoked_at timestamptz,
      revoked_reason text,
      sync_version bigint not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint tickets_one_per_admission unique (hold_id, seq),
      constraint tickets_code_unique unique (code),
      constraint tickets_revocation_has_reason check ((revoked_at is null) = (revoked_reason is null))
    );
    create index tickets_booking_idx on tickets (booking_id, ticket_type_id, seq);
    create index tickets_event_sync_idx on tickets (event_id, sync_version, id);

    create table checkin_lists (
      id uuid primary key default uuid_generate_v7(),
      event_id uuid not null references events(id),
      name text not null check (length(name) between 1 and 200),
      ticket_type_ids uuid[] not null default '{}',
      gates text[] not null default '{}',
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index checkin_lists_event_idx on checkin_lists (event_id, id);

    create table checkins (
      id uuid primary key default uuid_generate_v7(),
      ticket_id uuid not null references tickets(id),
      checkin_list_id uuid not null references checkin_lists(id),
      gate text not null,
      device_id text not null,
      -- The device's id of the scan (localScanId): a retried request recognises its own admission.
      scan_id text,
      scanned_at timestamptz not null,
      offline boolean not null default false,
      user_id uuid references users(id) on delete set null,
      created_at timestamptz not null default now(),
      constraint checkins_once_per_list unique (ticket_id, checkin_list_id)
    );
    create index checkins_list_idx on checkins (checkin_list_id);

    create table checkin_conflicts (
      id uuid primary key default uuid_generate_v7(),
      ticket_id uuid not null references tickets(id),
      checkin_list_id uuid not null references checkin_lists(id),
      gate text not null,
      device_id text not null,
      scan_id text not null,
      scanned_at timestamptz not null,
      user_id uuid references users(id) on delete set null,
      created_at timestamptz not null default now(),
      constraint checkin_conflicts_once unique (checkin_list_id, device_id, scan_id)
    );
    create index checkin_conflicts_ticket_idx on checkin_conflicts (ticket_id);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists checkin_conflicts, checkins, checkin_lists, tickets, event_ticket_keys cascade`.execute(db);
}
