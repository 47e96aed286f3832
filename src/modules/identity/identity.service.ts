import crypto from 'node:crypto';
import argon2 from 'argon2';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import type { Config } from '../../config.js';
import type { Db } from '../../platform/db/database.js';
import type { Actor } from '../../platform/actor.js';
import { errors } from '../../platform/errors.js';
import { Tokens } from './tokens.js';
import { identityErrors } from './identity.errors.js';
import { IdentityRepository, type Membership, type UserRow } from './identity.repository.js';
import { DisabledUsers } from './disabledUsers.js';
import { requireAdmin } from './access.js';
import type { AuditService, RequestMeta } from '../audit/audit.service.js';

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 256;
export const NAME_MAX_LENGTH = 200;
export const EMAIL_MAX_LENGTH = 254;

const EMAIL = fullFormats.email as RegExp;

/** What the API shows of a user. */
export interface UserView {
  id: string;
  email: string;
  name: string;
  isAdmin: boolean;
  createdAt: string;
}

export interface Session {
  user: UserView;
  accessToken: string;
  tokenType: 'Bearer';
  /** Seconds until the access token expires. */
  expiresIn: number;
  refreshToken: string;
  refreshTokenExpiresAt: string;
}

export interface Me extends UserView {
  memberships: Membership[];
}

/** GET /me/export: everything Tikiti holds about the caller. */
export interface PersonalDataExport {
  exportedAt: string;
  profile: UserView & { disabledAt: string | null };
  memberships: Membership[];
  bookings: {
    id: string;
    eventId: string;
    eventName: string;
    eventStartsAt: string;
    status: string;
    buyer: { name: string; email: string; phone: string };
    total: number;
    currency: string;
    refundedAmount: number;
    expiresAt: string;
    confirmedAt: string | null;
    cancelledAt: string | null;
    createdAt: string;
    holds: { ticketTypeId: string; ticketTypeName: string; quantity: number; unitPrice: number; refundedQuantity: number }[];
  }[];
  payments: {
    id: string;
    bookingId: string;
    method: string;
    provider: string;
    status: string;
    amount: number;
    currency: string;
    refundedAmount: number;
    payerPhone: string | null;
    failureReason: string | null;
    createdAt: string;
    succeededAt: string | null;
    failedAt: string | null;
  }[];
  refunds: { id: string; bookingId: string; paymentId: string; amount: number; currency: string; reason: string; status: string; createdAt: string; succeededAt: string | null }[];
  /** The tickets of the caller's bookings as stored (empty before the tickets module exists). */
  tickets: Record<string, unknown>[];
}

const isoOrNull = (d: Date | null) => (d ? d.toISOString() : null);

/** Emails compare case-insensitively: stored trimmed and lower-cased. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Count characters as people do (code points), not UTF-16 units. */
const length = (s: string) => [...s].length;

export function toUserView(u: UserRow): UserView {
  return { id: u.id, email: u.email, name: u.name, isAdmin: u.is_admin, createdAt: u.created_at.toISOString() };
}

/**
 * Accounts and sessions: registration, login (with throttling), refresh-token rotation with
 * theft detection, logout, and the operator/seed entry points (createAdmin, ensureUser).
 */
export class IdentityService {
  private readonly repo: IdentityRepository;
  /** A hash of nothing in particular, verified against when the email is unknown (equal timing). */
  private dummyHash: Promise<string> | undefined;
  /** Disabled accounts, for the auth hook (their access tokens stop working at once). */
  readonly disabledUsers: DisabledUsers;

  constructor(
    readonly db: Db,
    readonly config: Config,
    readonly tokens: Tokens,
    readonly audit?: AuditService,
  ) {
    this.repo = new IdentityRepository(db);
    this.disabledUsers = new DisabledUsers(() => this.repo.listDisabledUserIds(), config.AUTH_DISABLED_CACHE_MS);
  }

  /** Is this account disabled or deleted? Cheap: an in-process set refreshed at most every AUTH_DISABLED_CACHE_MS. */
  isDisabled(userId: string): Promise<boolean> {
    return this.disabledUsers.has(userId);
  }

  // ---- accounts ----

  async register(input: { email: string; password: string; name: string }): Promise<Session> {
    const { email, password, name } = this.checkAccountInput(input);
    const passwordHash = await hashPassword(password);
    return this.db.transaction().execute(async (tx) => {
      const user = await this.repo.with(tx).insertUser({ email, name, passwordHash });
      return this.startSession(user, this.repo.with(tx));
    });
  }

  /**
   * Log in. Failures are throttled per account and per IP; an unknown email and a wrong password
   * get the same answer after the same amount of hashing work.
   */
  async login(input: { email: string; password: string; ip: string }): Promise<Session> {
    const email = normalizeEmail(input.email);
    const { LOGIN_MAX_FAILURES: maxByEmail, LOGIN_MAX_FAILURES_PER_IP: maxByIp, LOGIN_FAILURE_WINDOW_SECONDS: window } = this.config;

    const attemptId = await this.repo.insertLoginAttempt(email, input.ip);
    const counts = await this.repo.countLoginFailures(email, input.ip, attemptId, window);
    if (counts.byEmail > maxByEmail || counts.byIp > maxByIp) {
      // A refused attempt is not a guess: it must not extend the lock-out.
      await this.repo.deleteLoginAttempt(attemptId);
      const waits = await Promise.all([
        counts.byEmail > maxByEmail ? this.repo.secondsUntilUnderLimit({ email }, maxByEmail, window) : 0,
        counts.byIp > maxByIp ? this.repo.secondsUntilUnderLimit({ ip: input.ip }, maxByIp, window) : 0,
      ]);
      throw identityErrors.loginThrottled(Math.max(1, ...waits));
    }

    // Made once per process, before either branch, so even the first login times the same.
    const dummyHash = await this.getDummyHash();
    const user = await this.repo.findUserByEmail(email);
    const ok = user
      ? await verifyPassword(user.password_hash, input.password)
      : (await verifyPassword(dummyHash, input.password), false);
    if (!user || !ok) throw identityErrors.invalidCredentials(); // the attempt row stays: a failure

    await this.repo.clearLoginFailures(email, attemptId);
    if (user.disabled_at) throw identityErrors.accountDisabled();
    if (argon2.needsRehash(user.password_hash)) {
      await this.repo.updatePasswordHash(user.id, await hashPassword(input.password));
    }
    return this.startSession(user, this.repo);
  }

  /** The caller with their organizer memberships. */
  async me(actor: Actor): Promise<Me> {
    const user = await this.repo.findUserById(actor.userId);
    // A token for a deleted or disabled account is no longer good for anything.
    if (!user || user.disabled_at) throw errors.invalidToken();
    const memberships = await this.repo.listMemberships(user.id);
    return { ...toUserView(user), memberships };
  }

  /**
   * Platform admins disable or enable an account. Disabling revokes every refresh token and stops
   * the access tokens already issued (auth hook); a deleted account cannot be enabled.
   */
  async setDisabled(actor: Actor, userId: string, disabled: boolean, meta: RequestMeta = {}): Promise<UserRow> {
    requireAdmin(actor);
    if (disabled && userId === actor.userId) throw identityErrors.cannotDisableSelf();
    const user = await this.db.transaction().execute(async (tx) => {
      const repo = this.repo.with(tx);
      const before = await repo.lockUser(userId);
      if (!before) throw identityErrors.userNotFound(userId);
      if (!disabled && before.deleted_at) throw identityErrors.userDeleted(userId);
      const after = await repo.setDisabled(userId, disabled);
      if (!after) throw identityErrors.userNotFound(userId);
      if (disabled) await repo.revokeAllForUser(userId);
      if (Boolean(before.disabled_at) !== disabled) {
        await this.audit?.record(tx, {
          actor,
          action: disabled ? 'user.disabled' : 'user.enabled',
          target: { type: 'user', id: userId },
          requestId: meta.requestId,
          before: { disabledAt: isoOrNull(before.disabled_at) },
          after: { disabledAt: isoOrNull(after.disabled_at) },
        });
      }
      return after;
    });
    if (disabled) this.disabledUsers.add(userId);
    else this.disabledUsers.remove(userId);
    return user;
  }

  // ---- the buyer's own data ----

  /** Everything Tikiti holds about the caller (GET /me/export). */
  async exportData(actor: Actor): Promise<PersonalDataExport> {
    const user = await this.repo.findUserById(actor.userId);
    if (!user || user.disabled_at) throw errors.invalidToken();
    const [memberships, bookings, payments, refunds, tickets] = await Promise.all([
      this.repo.listMemberships(user.id),
      this.repo.listBookingsWithHolds(user.id),
      this.repo.listPaymentsOf(user.id),
      this.repo.listRefundsOf(user.id),
      this.repo.listTicketsOf(user.id),
    ]);
    return {
      exportedAt: new Date().toISOString(),
      profile: { ...toUserView(user), disabledAt: isoOrNull(user.disabled_at) },
      memberships,
      bookings: bookings.map((b) => ({
        id: b.id,
        eventId: b.event_id,
        eventName: b.event_name,
        eventStartsAt: b.event_starts_at.toISOString(),
        status: b.status,
        buyer: { name: b.buyer_name, email: b.buyer_email, phone: b.buyer_phone },
        total: b.total,
        currency: b.currency,
        refundedAmount: b.refunded_amount,
        expiresAt: b.expires_at.toISOString(),
        confirmedAt: isoOrNull(b.confirmed_at),
        cancelledAt: isoOrNull(b.cancelled_at),
        createdAt: b.created_at.toISOString(),
        holds: b.holds,
      })),
      payments: payments.map((p) => ({
        id: p.id,
        bookingId: p.booking_id,
        method: p.method,
        provider: p.provider,
        status: p.status,
        amount: p.amount,
        currency: p.currency,
        refundedAmount: p.refunded_amount,
        payerPhone: p.payer_phone,
        failureReason: p.failure_reason,
        createdAt: p.created_at.toISOString(),
        succeededAt: isoOrNull(p.succeeded_at),
        failedAt: isoOrNull(p.failed_at),
      })),
      refunds: refunds.map((r) => ({
        id: r.id,
        bookingId: r.booking_id,
        paymentId: r.payment_id,
        amount: r.amount,
        currency: r.currency,
        reason: r.reason,
        status: r.status,
        createdAt: r.created_at.toISOString(),
        succeededAt: isoOrNull(r.succeeded_at),
      })),
      tickets: tickets ?? [],
    };
  }

  /**
   * Delete the caller's account (DELETE /me), after re-confirming the password. Personal data is
   * anonymized in one transaction: the user row (email, name, password), the buyer details of
   * their bookings, payer details of payments and ticket holder names; bookings, holds, tickets,
   * payments and ledger rows stay, with their amounts and links. Refresh tokens are revoked and
   * access tokens stop working. The only owner of an organizer gets 409 sole_owner.
   */
  async deleteAccount(actor: Actor, password: string, meta: RequestMeta = {}): Promise<void> {
    const user = await this.repo.findUserById(actor.userId);
    if (!user || user.disabled_at) throw errors.invalidToken();
    if (!(await verifyPassword(user.password_hash, password))) throw identityErrors.invalidPassword();
    const unusable = `deleted:${crypto.randomBytes(32).toString('base64url')}`;
    await this.db.transaction().execute(async (tx) => {
      const repo = this.repo.with(tx);
      const locked = await repo.lockUser(user.id);
      if (!locked || locked.disabled_at) throw errors.invalidToken();
      // Under the organizers' locks so an owner leaving at the same time cannot leave one ownerless.
      await repo.lockOrganizersOf(user.id);
      const memberships = await repo.listMemberships(user.id);
      const sole = await repo.listSoleOwnerships(user.id);
      if (sole.length) throw identityErrors.soleOwner(sole);
      await repo.deleteMemberships(user.id);
      await repo.anonymizeBookingsAndPayments(user.id);
      await repo.anonymizeTicketHolders(user.id);
      await repo.deleteLoginFailuresOf(locked.email);
      await repo.anonymizeUser(user.id, unusable);
      await repo.revokeAllForUser(user.id);
      await this.audit?.record(tx, {
        actor,
        action: 'user.deleted',
        target: { type: 'user', id: user.id },
        requestId: meta.requestId,
        // No personal data in the log: only what was removed, by reference.
        after: { memberships: memberships.map((m) => ({ organizerId: m.organizerId, role: m.role })) },
      });
    });
    this.disabledUsers.add(user.id);
  }

  // ---- sessions ----

  /**
   * Exchange a refresh token for a new pair. The token is rotated atomically; presenting one that
   * was already rotated means it leaked (or a client replayed it): its whole family is revoked.
   */
  async refresh(refreshToken: string): Promise<Session> {
    const tokenHash = Tokens.hash(refreshToken);
    const session = await this.db.transaction().execute(async (tx) => {
      const repo = this.repo.with(tx);
      const rotated = await repo.rotateRefreshToken(tokenHash);
      if (!rotated) return undefined;
      const user = await repo.findUserById(rotated.user_id);
      if (!user) return undefined;
      return this.startSession(user, repo, rotated.family_id);
    });
    if (session) return session;

    // Not rotatable: find out why, outside the (rolled back) transaction so revocations stick.
    const token = await this.repo.findRefreshTokenByHash(tokenHash);
    if (!token) throw identityErrors.invalidRefreshToken();
    if (token.revoked_at) throw identityErrors.invalidRefreshToken();
    if (token.rotated_at) {
      await this.repo.revokeFamily(token.family_id);
      throw identityErrors.refreshTokenReused();
    }
    // Expired, or its user is disabled or gone: the family is dead either way.
    await this.repo.revokeFamily(token.family_id);
    throw identityErrors.invalidRefreshToken();
  }

  /** Revoke the session (the token's whole family). Unknown or already revoked tokens: nothing to do. */
  async logout(refreshToken: string): Promise<void> {
    const token = await this.repo.findRefreshTokenByHash(Tokens.hash(refreshToken));
    if (token) await this.repo.revokeFamily(token.family_id);
  }

  // ---- operators and seed ----

  /** `tikiti admin create`: create a platform admin, or promote the existing account and set its password. */
  async createAdmin(input: { email: string; password: string; name: string }): Promise<{ id: string; email: string }> {
    const { email, password, name } = this.checkAccountInput(input);
    const passwordHash = await hashPassword(password);
    return this.db.transaction().execute(async (tx) => {
      const repo = this.repo.with(tx);
      const user = await repo.upsertAdmin({ email, name, passwordHash });
      // A new password ends the sessions opened with the old one.
      await repo.revokeAllForUser(user.id);
      await this.audit?.record(tx, { actor: null, action: 'admin.created', target: { type: 'user', id: user.id }, after: { isAdmin: true } });
      return { id: user.id, email: user.email };
    });
  }

  /** For the seed: the user with this email, created (with this password) if absent. Idempotent. */
  async ensureUser(input: { email: string; password: string; name: string; isAdmin?: boolean }): Promise<UserRow> {
    const { email, password, name } = this.checkAccountInput(input);
    const existing = await this.repo.findUserByEmail(email);
    if (existing) return existing;
    const passwordHash = await hashPassword(password);
    const created = await this.repo.insertUserIfAbsent({ email, name, passwordHash, isAdmin: input.isAdmin ?? false });
    return created ?? (await this.repo.findUserByEmail(email))!;
  }

  /** Drop login failures that left the throttling window (for a periodic job). */
  async pruneLoginFailures(): Promise<number> {
    return this.repo.deleteOldLoginFailures(this.config.LOGIN_FAILURE_WINDOW_SECONDS);
  }

  // ---- internals ----

  private async startSession(user: UserRow, repo: IdentityRepository, familyId: string = crypto.randomUUID()): Promise<Session> {
    const { token, hash } = this.tokens.newRefreshToken();
    const row = await repo.insertRefreshToken({
      userId: user.id,
      familyId,
      tokenHash: hash,
      ttlSeconds: this.config.REFRESH_TOKEN_TTL_SECONDS,
    });
    const accessToken = await this.tokens.signAccess({ userId: user.id, isAdmin: user.is_admin });
    return {
      user: toUserView(user),
      accessToken,
      tokenType: 'Bearer',
      expiresIn: this.tokens.accessTtlSeconds,
      refreshToken: token,
      refreshTokenExpiresAt: row.expires_at.toISOString(),
    };
  }

  /**
   * The account rules, for callers that do not come through HTTP validation (CLI, seed); the
   * HTTP schemas enforce the same ones. Returns the normalized values.
   */
  private checkAccountInput(input: { email: string; password: string; name: string }) {
    const email = normalizeEmail(input.email);
    const name = input.name.trim();
    const problems: { field: string; message: string }[] = [];
    if (email.length > EMAIL_MAX_LENGTH || !EMAIL.test(email)) problems.push({ field: 'email', message: 'must match format "email"' });
    if (length(input.password) < PASSWORD_MIN_LENGTH) {
      problems.push({ field: 'password', message: `must NOT have fewer than ${PASSWORD_MIN_LENGTH} characters` });
    }
    if (length(input.password) > PASSWORD_MAX_LENGTH) {
      problems.push({ field: 'password', message: `must NOT have more than ${PASSWORD_MAX_LENGTH} characters` });
    }
    if (length(name) < 1 || length(name) > NAME_MAX_LENGTH) {
      problems.push({ field: 'name', message: `must be 1 to ${NAME_MAX_LENGTH} characters` });
    }
    if (problems.length) throw errors.validation(problems, `Invalid account: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}.`);
    return { email, password: input.password, name };
  }

  private getDummyHash(): Promise<string> {
    this.dummyHash ??= hashPassword(crypto.randomBytes(24).toString('base64url'));
    return this.dummyHash;
  }
}

/** argon2id with the library's defaults (m=64 MiB, t=3, p=4). */
export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id });
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false; // a malformed stored hash never logs anyone in
  }
}
