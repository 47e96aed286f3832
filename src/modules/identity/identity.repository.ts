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
