import { sql, type Selectable } from 'kysely';
import type { Executor } from '../../platform/db/database.js';
import { translatePgError } from '../../platform/db/database.js';
import type { MemberRole, RefreshTokensTable, UsersTable } from '../../platform/db/schema.js';
import { identityErrors } from './identity.errors.js';

export type UserRow = Selectable<UsersTable>;
export type RefreshTokenRow = Selectable<RefreshTokensTable>;

export interface Membership {
  organizerId: string;
  organizerName: string;
  role: MemberRole;
}

/** All SQL of the identity domain: users, refresh tokens, login failures. */
export class IdentityRepository {
  constructor(private readonly db: Executor) {}

  /** The same repository bound to a transaction. */
  with(tx: Executor): IdentityRepository {
    return new IdentityRepository(tx);
  }

  // ---- users ----

  async findUserByEmail(email: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
  }

  async findUserById(id: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Insert a user; a taken email is a 409 email_taken. */
  async insertUser(values: { email: string; name: string; passwordHash: string; isAdmin?: boolean }): Promise<UserRow> {
    try {
      return await this.db
        .insertInto('users')
        .values({ email: values.email, name: values.name, password_hash: values.passwordHash, is_admin: values.isAdmin ?? false })
        .returningAll()
        .executeTakeFirstOrThrow();
    } catch (e) {
      translatePgError(e, { unique: () => identityErrors.emailTaken() });
    }
  }

  /** Insert a user unless the email is taken; undefined when it was. */
  async insertUserIfAbsent(values: { email: string; name: string; passwordHash: string; isAdmin?: boolean }): Promise<UserRow | undefined> {
    return this.db
      .insertInto('users')
      .values({ email: values.email, name: values.name, password_hash: values.passwordHash, is_admin: values.isAdmin ?? false })
      .onConflict((oc) => oc.column('email').doNothing())
      .returningAll()
      .executeTakeFirst();
  }

  /** Create a platform admin, or promote the existing account and set its password. */
  async upsertAdmin(values: { email: string; name: string; passwordHash: string }): Promise<UserRow> {
    return this.db
      .insertInto('users')
      .values({ email: values.email, name: values.name, password_hash: values.passwordHash, is_admin: true })
      .onConflict((oc) =>
        oc.column('email').doUpdateSet({
          is_admin: true,
          password_hash: (eb) => eb.ref('excluded.password_hash'),
          updated_at: sql`now()`,
        }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async updatePasswordHash(userId: string, passwordHash: string): Promise<void> {
    await this.db
      .updateTable('users')
      .set({ password_hash: passwordHash, updated_at: sql`now()` })
      .where('id', '=', userId)
      .execute();
  }

  /** The organizers a user belongs to, with their role in each. */
  async listMemberships(userId: string): Promise<Membership[]> {
    return this.db
      .selectFrom('organizer_members as m')
      .innerJoin('organizers as o', 'o.id', 'm.organizer_id')
      .select(['m.organizer_id as organizerId', 'o.name as organizerName', 'm.role as role'])
      .where('m.user_id', '=', userId)
      .orderBy('o.name')
      .orderBy('o.id')
      .execute();
  }

  // ---- disabled and deleted accounts ----

  /** Ids of disabled (or deleted) accounts: the rows of the partial index users_disabled_idx. */
  async listDisabledUserIds(): Promise<string[]> {
    const rows = await this.db.selectFrom('users').select('id').where('disabled_at', 'is not', null).execute();
    return rows.map((r) => r.id);
  }

  async lockUser(id: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  }

  /** Disable (now) or enable an account. Deleted accounts stay disabled. */
  async setDisabled(id: string, disabled: boolean): Promise<UserRow | undefined> {
    let q = this.db
      .updateTable('users')
      .set({ disabled_at: disabled ? sql`coalesce(disabled_at, now())` : null, updated_at: sql`now()` })
      .where('id', '=', id);
    if (!disabled) q = q.where('deleted_at', 'is', null);
    return q.returningAll().executeTakeFirst();
  }

  /** Organizers where this user is the only owner (they cannot leave them ownerless). */
  async listSoleOwnerships(userId: string): Promise<{ id: string; name: string }[]> {
    return this.db
      .selectFrom('organizer_members as m')
      .innerJoin('organizers as o', 'o.id', 'm.organizer_id')
      .select(['o.id', 'o.name'])
      .where('m.user_id', '=', userId)
      .where('m.role', '=', 'owner')
      .where(({ selectFrom }) =>
        selectFrom('organizer_members as m2')
          .select(sql<number>`count(*)`.as('n'))
          .whereRef('m2.organizer_id', '=', 'm.organizer_id')
          .where('m2.role', '=', 'owner'),
        '=',
        1,
      )
      .orderBy('o.name')
      .execute();
  }

  /**
   * Replace the account's personal data: the row stays (bookings, tickets and the ledger refer to
   * it), disabled and marked deleted, with an email nobody can own and a password nobody knows.
   */
  async anonymizeUser(id: string, passwordHash: string): Promise<void> {
    await this.db
      .updateTable('users')
      .set({
        email: `deleted-${id}@invalid`,
        name: 'Deleted user',
        password_hash: passwordHash,
        is_admin: false,
        disabled_at: sql`coalesce(disabled_at, now())`,
        deleted_at: sql`now()`,
        updated_at: sql`now()`,
      })
      .where('id', '=', id)
      .execute();
  }

  /** The buyer details of the user's bookings, and the payer details of their payments. Amounts stay. */
  async anonymizeBookingsAndPayments(userId: string): Promise<{ bookings: number }> {
    const res = await this.db
      .updateTable('bookings')
      .set({ buyer_name: 'Deleted user', buyer_email: `deleted-${userId}@invalid`, buyer_phone: '', updated_at: sql`now()` })
      .where('user_id', '=', userId)
      .executeTakeFirst();
    await this.db
      .updateTable('payments')
      .set({ payer_phone: null, client_ip: null })
      .where((eb) =>
        eb.or([eb('user_id', '=', userId), eb('booking_id', 'in', eb.selectFrom('bookings').select('id').where('user_id', '=', userId))]),
      )
      .execute();
    return { bookings: Number(res.numUpdatedRows) };
  }

  /** Ticket holder names of the user's bookings (only once the tickets table exists). */
  async anonymizeTicketHolders(userId: string): Promise<void> {
    if (!(await this.columnExists('tickets', 'holder_name'))) return;
    await sql`update tickets set holder_name = 'Deleted user'
              where booking_id in (select id from bookings where user_id = ${userId})`.execute(this.db);
  }

  /** Lock (in id order) the organizers the user belongs to: serializes with membership changes. */
  async lockOrganizersOf(userId: string): Promise<void> {
    await this.db
      .selectFrom('organizers as o')
      .select('o.id')
      .where('o.id', 'in', (eb) => eb.selectFrom('organizer_members').select('organizer_id').where('user_id', '=', userId))
      .orderBy('o.id')
      .forUpdate()
      .execute();
  }

  async deleteMemberships(userId: string): Promise<void> {
    await this.db.deleteFrom('organizer_members').where('user_id', '=', userId).execute();
  }

  async deleteLoginFailuresOf(email: string): Promise<void> {
    await this.db.deleteFrom('login_failures').where('email', '=', email).execute();
  }

  // ---- personal data export ----

  async listBookingsWithHolds(userId: string) {
    return this.db
      .selectFrom('bookings as b')
      .innerJoin('events as e', 'e.id', 'b.event_id')
      .select([
        'b.id',
        'b.event_id',
        'e.name as event_name',
        'e.starts_at as event_starts_at',
        'b.status',
        'b.buyer_name',
        'b.buyer_email',
        'b.buyer_phone',
        'b.total',
        'b.currency',
        'b.refunded_amount',
        'b.expires_at',
        'b.confirmed_at',
        'b.cancelled_at',
        'b.created_at',
        sql<{ ticketTypeId: string; ticketTypeName: string; quantity: number; unitPrice: number; refundedQuantity: number }[]>`(
          select coalesce(json_agg(json_build_object(
            'ticketTypeId', h.ticket_type_id, 'ticketTypeName', t.name, 'quantity', h.quantity,
            'unitPrice', h.unit_price, 'refundedQuantity', h.refunded_quantity) order by h.created_at, h.id), '[]'::json)
          from holds h join ticket_types t on t.id = h.ticket_type_id where h.booking_id = b.id)`.as('holds'),
      ])
      .where('b.user_id', '=', userId)
      .orderBy('b.id')
      .execute();
  }

  async listPaymentsOf(userId: string) {
    return this.db
      .selectFrom('payments as p')
      .select([
        'p.id',
        'p.booking_id',
        'p.method',
        'p.provider',
        'p.status',
        'p.amount',
        'p.currency',
        'p.refunded_amount',
        'p.payer_phone',
        'p.failure_reason',
        'p.created_at',
        'p.succeeded_at',
        'p.failed_at',
      ])
      .where((eb) =>
        eb.or([eb('p.user_id', '=', userId), eb('p.booking_id', 'in', eb.selectFrom('bookings').select('id').where('user_id', '=', userId))]),
      )
      .orderBy('p.id')
      .execute();
  }

  async listRefundsOf(userId: string) {
    return this.db
      .selectFrom('refunds as r')
      .innerJoin('bookings as b', 'b.id', 'r.booking_id')
      .select(['r.id', 'r.booking_id', 'r.payment_id', 'r.amount', 'r.currency', 'r.reason', 'r.status', 'r.created_at', 'r.succeeded_at'])
      .where('b.user_id', '=', userId)
      .orderBy('r.id')
      .execute();
  }

  /** The user's tickets as stored, or null while the tickets table does not exist. */
  async listTicketsOf(userId: string): Promise<Record<string, unknown>[] | null> {
    if (!(await this.tableExists('tickets'))) return null;
    const { rows } = await sql<{ ticket: Record<string, unknown> }>`
      select to_jsonb(t) as ticket from tickets t
      where t.booking_id in (select id from bookings where user_id = ${userId})
      order by t.booking_id, t.id`.execute(this.db);
    return rows.map((r) => r.ticket);
  }

  async tableExists(table: string): Promise<boolean> {
    const { rows } = await sql<{ ok: boolean }>`select to_regclass(${table}) is not null as ok`.execute(this.db);
    return rows[0]?.ok === true;
  }

  private async columnExists(table: string, column: string): Promise<boolean> {
    const { rows } = await sql<{ ok: boolean }>`
      select exists (select 1 from information_schema.columns
                     where table_schema = current_schema() and table_name = ${table} and column_name = ${column}) as ok`.execute(this.db);
    return rows[0]?.ok === true;
  }

  // ---- refresh tokens ----

  async insertRefreshToken(values: { userId: string; familyId: string; tokenHash: string; ttlSeconds: number }): Promise<RefreshTokenRow> {
    return this.db
      .insertInto('refresh_tokens')
      .values({
        user_id: values.userId,
        family_id: values.familyId,
        token_hash: values.tokenHash,
        expires_at: sql<Date>`now() + make_interval(secs => ${values.ttlSeconds})`,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /**
   * Mark a live refresh token as rotated, atomically: of two concurrent uses of the same token
   * exactly one gets the row back. Tokens of disabled users never rotate.
   */
  async rotateRefreshToken(tokenHash: string): Promise<RefreshTokenRow | undefined> {
    return this.db
      .updateTable('refresh_tokens')
      .set({ rotated_at: sql`now()` })
      .where('token_hash', '=', tokenHash)
      .where('rotated_at', 'is', null)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', sql<Date>`now()`)
      .where(({ exists, selectFrom }) =>
        exists(
          selectFrom('users')
            .select(sql`1`.as('one'))
            .whereRef('users.id', '=', 'refresh_tokens.user_id')
            .where('users.disabled_at', 'is', null),
        ),
      )
      .returningAll()
      .executeTakeFirst();
  }

  async findRefreshTokenByHash(tokenHash: string): Promise<RefreshTokenRow | undefined> {
    return this.db.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
  }

  /** Revoke every live token of a family (logout, theft detection). Returns how many. */
  async revokeFamily(familyId: string): Promise<number> {
    const result = await this.db
      .updateTable('refresh_tokens')
      .set({ revoked_at: sql`now()` })
      .where('family_id', '=', familyId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Revoke every live token of a user (password set by an operator). */
  async revokeAllForUser(userId: string): Promise<number> {
    const result = await this.db
      .updateTable('refresh_tokens')
      .set({ revoked_at: sql`now()` })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  // ---- login failures ----
  // A row is a failed login, or one in flight: an attempt is recorded before the password is
  // checked (so a burst of parallel guesses cannot all slip under the limit) and removed again
  // if it succeeds or is refused by the throttle.

  async insertLoginAttempt(email: string, ip: string): Promise<number> {
    const row = await this.db.insertInto('login_failures').values({ email, ip }).returning('id').executeTakeFirstOrThrow();
    return row.id;
  }

  /** Failures (and attempts in flight) within the window up to and including attempt `upToId`. */
  async countLoginFailures(email: string, ip: string, upToId: number, windowSeconds: number): Promise<{ byEmail: number; byIp: number }> {
    const row = await this.db
      .selectFrom('login_failures')
      .select([
        sql<number>`count(*) filter (where email = ${email})::int`.as('byEmail'),
        sql<number>`count(*) filter (where ip = ${ip})::int`.as('byIp'),
      ])
      .where((eb) => eb.or([eb('email', '=', email), eb('ip', '=', ip)]))
      .where('id', '<=', upToId)
      .where('created_at', '>', sql<Date>`now() - make_interval(secs => ${windowSeconds})`)
      .executeTakeFirstOrThrow();
    return { byEmail: row.byEmail, byIp: row.byIp };
  }

  /**
   * Seconds until fewer than `max` failures of this email (or ip) remain in the window: when the
   * max-th most recent one leaves it. 0 when already under the limit.
   */
  async secondsUntilUnderLimit(key: { email: string } | { ip: string }, max: number, windowSeconds: number): Promise<number> {
    const row = await this.db
      .selectFrom('login_failures')
      .select(sql<number>`ceil(extract(epoch from (created_at + make_interval(secs => ${windowSeconds}) - now())))::int`.as('seconds'))
      .where((eb) => ('email' in key ? eb('email', '=', key.email) : eb('ip', '=', key.ip)))
      .where('created_at', '>', sql<Date>`now() - make_interval(secs => ${windowSeconds})`)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .offset(max - 1)
      .limit(1)
      .executeTakeFirst();
    return Math.max(0, row?.seconds ?? 0);
  }

  async deleteLoginAttempt(id: number): Promise<void> {
    await this.db.deleteFrom('login_failures').where('id', '=', id).execute();
  }

  /** After a successful login: forget the account's failures up to this attempt. */
  async clearLoginFailures(email: string, upToId: number): Promise<void> {
    await this.db.deleteFrom('login_failures').where('email', '=', email).where('id', '<=', upToId).execute();
  }

  /** Drop failures older than the window (they no longer count). */
  async deleteOldLoginFailures(windowSeconds: number): Promise<number> {
    const result = await this.db
      .deleteFrom('login_failures')
      .where('created_at', '<', sql<Date>`now() - make_interval(secs => ${windowSeconds})`)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
