import type { ColumnType, Generated } from 'kysely';

/**
 * Kysely's view of the tables. One interface per table, named for the domain; add new tables
 * here together with their migration.
 */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
/** A timestamp with a SQL default (created_at, updated_at). `GeneratedTimestamp` would select as a ColumnType, not a Date. */
type GeneratedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface UsersTable {
  id: Generated<string>;
  email: string;
  name: string;
  password_hash: string;
  is_admin: Generated<boolean>;
  disabled_at: NullableTimestamp;
  /** Account deleted by its owner: personal data anonymized (0009). */
  deleted_at: NullableTimestamp;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface RefreshTokensTable {
  id: Generated<string>;
  user_id: string;
  family_id: string;
  token_hash: string;
  expires_at: Timestamp;
  rotated_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
  created_at: GeneratedTimestamp;
}

export interface LoginFailuresTable {
  id: Generated<number>;
  email: string;
  ip: string;
  created_at: GeneratedTimestamp;
}

export interface OrganizersTable {
  id: Generated<string>;
  name: string;
  slug: string;
  commission_bps: Generated<number>;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export type MemberRole = 'owner' | 'manager' | 'gate';

export interface OrganizerMembersTable {
  organizer_id: string;
  user_id: string;
  role: MemberRole;
  created_at: GeneratedTimestamp;
}

export interface VenuesTable {
  id: Generated<string>;
  organizer_id: string;
  name: string;
  city: string;
  country: string;
  timezone: string;
  capacity: number;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export type EventStatus = 'draft' | 'published' | 'completed' | 'cancelled';

export interface EventsTable {
  id: Generated<string>;
  organizer_id: string;
  venue_id: string;
  name: string;
  description: Generated<string>;
  starts_at: Timestamp;
  ends_at: Timestamp;
  timezone: string;
  status: Generated<EventStatus>;
  hold_minutes: Generated<number>;
  search_vector: ColumnType<string | null, never, never>;
  published_at: NullableTimestamp;
  cancelled_at: NullableTimestamp;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface TicketTypesTable {
  id: Generated<string>;
  event_id: string;
  name: string;
  description: Generated<string>;
  price: number;
  currency: string;
  capacity: number;
  held: Generated<number>;
  sold: Generated<number>;
  sales_start: NullableTimestamp;
  sales_end: NullableTimestamp;
  min_per_order: Generated<number>;
  max_per_order: Generated<number>;
  visibility: Generated<'public' | 'hidden'>;
  sort_order: Generated<number>;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export type BookingStatus = 'pending' | 'confirmed' | 'cancelled' | 'expired' | 'refunded' | 'partially_refunded';

export interface BookingsTable {
  id: Generated<string>;
  event_id: string;
  user_id: string | null;
  status: Generated<BookingStatus>;
  buyer_name: string;
  buyer_email: string;
  buyer_phone: string;
  access_token_hash: string | null;
  total: number;
  currency: string;
  expires_at: Timestamp;
  confirmed_at: NullableTimestamp;
  cancelled_at: NullableTimestamp;
  expired_at: NullableTimestamp;
  refunded_amount: Generated<number>;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface HoldsTable {
  id: Generated<string>;
  booking_id: string;
  ticket_type_id: string;
  quantity: number;
  unit_price: number;
  refunded_quantity: Generated<number>;
  created_at: GeneratedTimestamp;
}

export interface IdempotencyKeysTable {
  scope: string;
  key: string;
  fingerprint: string;
  method: string;
  path: string;
  status: Generated<'in_progress' | 'done'>;
  response_code: number | null;
  response_body: string | null;
  response_content_type: string | null;
  resource_id: string | null;
  locked_at: GeneratedTimestamp;
  created_at: GeneratedTimestamp;
  completed_at: NullableTimestamp;
}

/** The built-in MoMo simulator's transactions (migration 0004); nothing else reads them. */
export interface SandboxMomoTransactionsTable {
  kind: 'requesttopay' | 'refund';
  reference_id: string;
  api_user: string;
  target_environment: string;
  amount: string;
  currency: string;
  external_id: string;
  party_id_type: string;
  party_id: string;
  payer_message: string | null;
  payee_note: string | null;
  callback_url: string | null;
  reference_id_to_refund: string | null;
  outcome: 'SUCCESSFUL' | 'FAILED';
  reason: string | null;
  decide_at: NullableTimestamp;
  financial_transaction_id: string;
  callback_sent_at: NullableTimestamp;
  created_at: GeneratedTimestamp;
}

export type PaymentMethod = 'momo' | 'card';
export type PaymentStatus = 'pending' | 'succeeded' | 'failed';
export type PaymentOutcome = 'applied' | 'refunded_late' | 'refunded_duplicate';
export type ReviewStatus = 'pending' | 'approved' | 'rejected';

export interface PaymentsTable {
  id: Generated<string>;
  booking_id: string;
  user_id: string | null;
  method: PaymentMethod;
  provider: string;
  provider_ref: string | null;
  status: Generated<PaymentStatus>;
  outcome: PaymentOutcome | null;
  /** Why a success ended as it did (0006). */
  outcome_reason: Generated<string | null>;
  amount: number;
  currency: string;
  refunded_amount: Generated<number>;
  payer_phone: string | null;
  client_ip: string | null;
  failure_reason: string | null;
  fraud_score: Generated<number>;
  fraud_reasons: ColumnType<{ code: string; points: number; detail: string }[], string | undefined, string>;
  review_status: ReviewStatus | null;
  reviewed_by: string | null;
  reviewed_at: NullableTimestamp;
  review_note: string | null;
  poll_attempts: Generated<number>;
  succeeded_at: NullableTimestamp;
  failed_at: NullableTimestamp;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export type WebhookEventStatus = 'received' | 'processed' | 'ignored' | 'failed';

export interface WebhookEventsTable {
  id: Generated<string>;
  provider: string;
  event_id: string;
  type: string;
  provider_ref: string | null;
  payload: ColumnType<unknown, string, string>;
  status: Generated<WebhookEventStatus>;
  attempts: Generated<number>;
  error: string | null;
  received_at: GeneratedTimestamp;
  processed_at: NullableTimestamp;
}

export type RefundReason = 'requested' | 'event_cancelled' | 'late_payment' | 'duplicate_payment';
export type RefundStatus = 'pending' | 'succeeded' | 'failed';

export interface RefundsTable {
  id: Generated<string>;
  booking_id: string;
  payment_id: string;
  amount: number;
  currency: string;
  reason: RefundReason;
  note: string | null;
  items: ColumnType<{ ticketTypeId: string; quantity: number }[], string | undefined, string>;
  status: Generated<RefundStatus>;
  provider: string;
  provider_ref: string | null;
  failure_reason: string | null;
  attempts: Generated<number>;
  requested_by: string | null;
  succeeded_at: NullableTimestamp;
  failed_at: NullableTimestamp;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface LedgerTransactionsTable {
  id: Generated<string>;
  kind: string;
  reference_id: string;
  organizer_id: string | null;
  booking_id: string | null;
  /** The payment a posting belongs to (0007). */
  payment_id: string | null;
  currency: string;
  description: Generated<string>;
  created_at: GeneratedTimestamp;
}

export interface LedgerEntriesTable {
  id: Generated<string>;
  transaction_id: string;
  account: string;
  organizer_id: string | null;
  currency: string;
  debit: Generated<number>;
  credit: Generated<number>;
  created_at: GeneratedTimestamp;
}

/** The audit log of privileged actions (0009). */
export interface AuditLogTable {
  id: Generated<string>;
  seq: ColumnType<number, never, never>;
  actor_user_id: string | null;
  action: string;
  organizer_id: string | null;
  target_type: string;
  target_id: string;
  request_id: string | null;
  before: ColumnType<unknown, string | null | undefined, string | null>;
  after: ColumnType<unknown, string | null | undefined, string | null>;
  created_at: GeneratedTimestamp;
}

/** Tickets and the gate (0008). */
export interface EventTicketKeysTable {
  event_id: string;
  key_id: string;
  public_key: Buffer;
  private_key_enc: string;
  sync_version: Generated<number>;
  created_at: GeneratedTimestamp;
}

export interface TicketsTable {
  id: string;
  event_id: string;
  booking_id: string;
  hold_id: string;
  ticket_type_id: string;
  seq: number;
  code: string;
  holder_name: string;
  key_id: string;
  qr_payload: string;
  revoked_at: NullableTimestamp;
  revoked_reason: string | null;
  sync_version: number;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface CheckinListsTable {
  id: Generated<string>;
  event_id: string;
  name: string;
  ticket_type_ids: ColumnType<string[], string[] | undefined, string[]>;
  gates: ColumnType<string[], string[] | undefined, string[]>;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface CheckinsTable {
  id: Generated<string>;
  ticket_id: string;
  checkin_list_id: string;
  gate: string;
  device_id: string;
  scan_id: string | null;
  scanned_at: Timestamp;
  offline: Generated<boolean>;
  user_id: string | null;
  created_at: GeneratedTimestamp;
}

export interface CheckinConflictsTable {
  id: Generated<string>;
  ticket_id: string;
  checkin_list_id: string;
  gate: string;
  device_id: string;
  scan_id: string;
  scanned_at: Timestamp;
  user_id: string | null;
  created_at: GeneratedTimestamp;
}

export interface Database {
  users: UsersTable;
  refresh_tokens: RefreshTokensTable;
  login_failures: LoginFailuresTable;
  organizers: OrganizersTable;
  organizer_members: OrganizerMembersTable;
  venues: VenuesTable;
  events: EventsTable;
  ticket_types: TicketTypesTable;
  bookings: BookingsTable;
  holds: HoldsTable;
  idempotency_keys: IdempotencyKeysTable;
  sandbox_momo_transactions: SandboxMomoTransactionsTable;
  payments: PaymentsTable;
  webhook_events: WebhookEventsTable;
  refunds: RefundsTable;
  ledger_transactions: LedgerTransactionsTable;
  ledger_entries: LedgerEntriesTable;
  event_ticket_keys: EventTicketKeysTable;
  tickets: TicketsTable;
  checkin_lists: CheckinListsTable;
  checkins: CheckinsTable;
  checkin_conflicts: CheckinConflictsTable;
  audit_log: AuditLogTable;
}
