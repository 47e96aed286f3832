import crypto from 'node:crypto';
import type { Db, Executor } from '../../platform/db/database.js';
import type { MemberRole } from '../../platform/db/schema.js';
import type { Actor } from '../../platform/actor.js';
import { errors, type AppError } from '../../platform/errors.js';
import { organizersErrors } from './organizers.errors.js';
import { OrganizersRepository, type MemberRow, type OrganizerRow } from './organizers.repository.js';
import type { AuditEntryInput, AuditService, RequestMeta } from '../audit/audit.service.js';

/** Roles that manage an organizer's catalogue (venues, events, ticket types). */
export const MANAGER_ROLES: readonly MemberRole[] = ['owner', 'manager'];
/** Every member role: may read the organizer's data (drafts, venues, members). */
export const ANY_ROLE: readonly MemberRole[] = ['owner', 'manager', 'gate'];
export const OWNER_ONLY: readonly MemberRole[] = ['owner'];

/** What the caller is to an organizer: a platform admin, or a member with a role. */
export type OrganizerAccess = 'admin' | MemberRole;

export interface OrganizerView {
  id: string;
  name: string;
  slug: string;
  commissionBps: number;
  /** The caller's membership role in this organizer, null when not a member (e.g. an admin). */
  myRole: MemberRole | null;
  createdAt: string;
  updatedAt: string;
}

export interface MemberView {
  userId: string;
  email: string;
  name: string;
  role: MemberRole;
  createdAt: string;
}

export function toOrganizerView(o: OrganizerRow, myRole: MemberRole | null): OrganizerView {
  return {
    id: o.id,
    name: o.name,
    slug: o.slug,
    commissionBps: o.commission_bps,
    myRole,
    createdAt: o.created_at.toISOString(),
    updatedAt: o.updated_at.toISOString(),
  };
}

function toMemberView(m: MemberRow): MemberView {
  return { userId: m.user_id, email: m.email, name: m.name, role: m.role, createdAt: m.created_at.toISOString() };
}

/** URL-friendly slug of a name: "Kigali Sports Events" → "kigali-sports-events". */
export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/g, '');
  return slug || 'organizer';
}

/** Run `fn` in a transaction, or inside the caller's when `db` already is one. */
export function transact<T>(db: Executor, fn: (tx: Executor) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db) : db.transaction().execute(fn);
}

/**
 * Organizers, their members and commission, and the organizer-role authorization every other
 * domain reuses (`requireRole`, `accessOf`).
 *
 * Tenant isolation: to anyone who is neither a member nor a platform admin, an organizer and
 * everything in it does not exist (404). Members with too small a role get 403.
 */
export class OrganizersService {
  private readonly repo: OrganizersRepository;

  constructor(
    readonly db: Db,
    /** Privileged changes are recorded in the same transaction (absent for the seed). */
    readonly audit?: AuditService,
  ) {
    this.repo = new OrganizersRepository(db);
  }

  private async record(tx: Executor, entry: AuditEntryInput): Promise<void> {
    if (this.audit) await this.audit.record(tx, entry);
  }

  // ---- authorization (shared with other domains) ----

  /** The caller's access to an organizer: 'admin', their member role, or null. */
  async accessOf(actor: Actor | null | undefined, organizerId: string): Promise<OrganizerAccess | null> {
    if (!actor) return null;
    if (actor.isAdmin) return 'admin';
    return (await this.repo.findRole(organizerId, actor.userId)) ?? null;
  }

  /**
   * Require the caller to be a platform admin or a member of the organizer with one of `roles`.
   * Not a member (or anonymous) → `notFound()` (default organizer_not_found): they may not know it
   * exists. A member with another role → 403 forbidden. Returns the caller's access.
   */
  async requireRole(
    actor: Actor | null | undefined,
    organizerId: string,
    roles: readonly MemberRole[],
    notFound: () => AppError = () => organizersErrors.organizerNotFound(organizerId),
  ): Promise<OrganizerAccess> {
    const access = await this.accessOf(actor, organizerId);
    if (access === null) throw notFound();
    if (access !== 'admin' && !roles.includes(access)) {
      throw errors.forbidden(`Your role in this organizer (${access}) does not allow this.`);
    }
    return access;
  }

  // ---- organizers ----

  /**
   * Admin only. The slug is derived from the name (suffixed when taken); `exactSlug` (seed,
   * operators) insists on one and fails with organizer_slug_taken instead.
   */
  async create(
    actor: Actor,
    input: { name: string; commissionBps?: number },
    opts: { exactSlug?: string } = {},
    meta: RequestMeta = {},
  ): Promise<OrganizerView> {
    if (!actor.isAdmin) throw errors.forbidden('Only a platform admin can create organizers.');
    const name = input.name.trim();
    const commissionBps = input.commissionBps ?? 500;
    checkCommission(commissionBps);
    if (!name) throw errors.invalidField('name', 'must not be blank');
    const insert = (slug: string) =>
      transact(this.db, async (tx) => {
        const row = await this.repo.with(tx).insertOrganizer({ name, slug, commissionBps });
        await this.record(tx, {
          actor,
          action: 'organizer.created',
          organizerId: row.id,
          target: { type: 'organizer', id: row.id },
          requestId: meta.requestId,
          after: { name: row.name, slug: row.slug, commissionBps: row.commission_bps },
        });
        return toOrganizerView(row, null);
      });
    if (opts.exactSlug) return insert(opts.exactSlug);
    const base = slugify(name);
    for (let attempt = 0; ; attempt++) {
      const slug = attempt === 0 ? base : `${base}-${crypto.randomBytes(3).toString('hex')}`;
      try {
        return await insert(slug);
      } catch (e) {
        if ((e as AppError).code !== 'organizer_slug_taken' || attempt >= 4) throw e;
      }
    }
  }

  async findBySlug(slug: string): Promise<OrganizerRow | undefined> {
    return this.repo.findBySlug(slug);
  }

  /** Admin: every organizer; anyone else: the ones they are a member of. Cursor = last id seen. */
  async list(actor: Actor, opts: { cursor?: string; limit?: number } = {}): Promise<{ items: OrganizerView[]; nextCursor: string | null }> {
    const limit = opts.limit ?? 50;
    const afterId = opts.cursor ? decodeIdCursor(opts.cursor) : undefined;
    const rows = await this.repo.list({ userId: actor.isAdmin ? undefined : actor.userId, afterId, limit: limit + 1 });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((r) => toOrganizerView(r, r.role)),
      nextCursor: rows.length > limit && last ? Buffer.from(last.id).toString('base64url') : null,
    };
  }

  async get(actor: Actor, id: string): Promise<OrganizerView> {
    const access = await this.requireRole(actor, id, ANY_ROLE);
    const row = await this.repo.findById(id);
    if (!row) throw organizersErrors.organizerNotFound(id);
    return toOrganizerView(row, access === 'admin' ? ((await this.repo.findRole(id, actor.userId)) ?? null) : access);
  }

  /** Owners may rename; only a platform admin changes the commission. */
  async update(actor: Actor, id: string, patch: { name?: string; commissionBps?: number }, meta: RequestMeta = {}): Promise<OrganizerView> {
    const access = await this.requireRole(actor, id, OWNER_ONLY);
    if (patch.commissionBps !== undefined) {
      if (access !== 'admin') throw organizersErrors.commissionAdminOnly();
      checkCommission(patch.commissionBps);
    }
    const name = patch.name?.trim();
    if (name !== undefined && !name) throw errors.invalidField('name', 'must not be blank');
    const row = await transact(this.db, async (tx) => {
      const repo = this.repo.with(tx);
      const before = await repo.lockById(id);
      if (!before) throw organizersErrors.organizerNotFound(id);
      const after = await repo.update(id, { name, commissionBps: patch.commissionBps });
      if (!after) throw organizersErrors.organizerNotFound(id);
      const common = { actor, organizerId: id, target: { type: 'organizer', id }, requestId: meta.requestId };
      if (after.name !== before.name) {
        await this.record(tx, { ...common, action: 'organizer.updated', before: { name: before.name }, after: { name: after.name } });
      }
      if (after.commission_bps !== before.commission_bps) {
        await this.record(tx, {
          ...common,
          action: 'organizer.commission_changed',
          before: { commissionBps: before.commission_bps },
          after: { commissionBps: after.commission_bps },
        });
      }
      return after;
    });
    return toOrganizerView(row, access === 'admin' ? ((await this.repo.findRole(id, actor.userId)) ?? null) : access);
  }

  // ---- members ----

  async listMembers(actor: Actor, organizerId: string): Promise<MemberView[]> {
    await this.requireRole(actor, organizerId, ANY_ROLE);
    return (await this.repo.listMembers(organizerId)).map(toMemberView);
  }

  /** Owners (and admins) add an existing account by email. */
  async addMember(actor: Actor, organizerId: string, input: { email: string; role: MemberRole }, meta: RequestMeta = {}): Promise<MemberView> {
    await this.requireRole(actor, organizerId, OWNER_ONLY);
    const email = input.email.trim().toLowerCase();
    const userId = await this.repo.findUserIdByEmail(email);
    if (!userId) throw organizersErrors.userNotFound(email);
    return transact(this.db, async (tx) => {
      const repo = this.repo.with(tx);
      if (!(await repo.lockById(organizerId))) throw organizersErrors.organizerNotFound(organizerId);
      const added = await repo.insertMember(organizerId, userId, input.role);
      const member = await repo.findMember(organizerId, userId);
      if (!member) throw organizersErrors.userNotFound(email);
      if (!added) throw organizersErrors.alreadyMember(userId, member.role);
      await this.record(tx, {
        actor,
        action: 'member.added',
        organizerId,
        target: { type: 'user', id: userId },
        requestId: meta.requestId,
        after: { userId, role: member.role },
      });
      return toMemberView(member);
    });
  }

  /**
   * Owners (and admins) remove a member. The last owner stays: the organizer row is locked so two
   * owners removing each other at once cannot both succeed.
   */
  async removeMember(actor: Actor, organizerId: string, userId: string, meta: RequestMeta = {}): Promise<void> {
    await this.requireRole(actor, organizerId, OWNER_ONLY);
    await transact(this.db, async (tx) => {
      const repo = this.repo.with(tx);
      if (!(await repo.lockById(organizerId))) throw organizersErrors.organizerNotFound(organizerId);
      const member = await repo.findMember(organizerId, userId);
      if (!member) throw organizersErrors.memberNotFound(userId);
      if (member.role === 'owner' && (await repo.countOwners(organizerId)) <= 1) throw organizersErrors.lastOwner();
      await repo.deleteMember(organizerId, userId);
      await this.record(tx, {
        actor,
        action: 'member.removed',
        organizerId,
        target: { type: 'user', id: userId },
        requestId: meta.requestId,
        before: { userId, role: member.role },
      });
    });
  }
}

function checkCommission(bps: number) {
  if (!Number.isInteger(bps) || bps < 0 || bps > 10_000) {
    throw errors.invalidField('commissionBps', 'must be an integer from 0 to 10000 (basis points)');
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function decodeIdCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!UUID.test(id)) throw errors.invalidField('cursor', 'is not a cursor this API returned');
  return id;
}
