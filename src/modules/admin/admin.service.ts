import type { Db } from '../../platform/db/database.js';
import type { Actor } from '../../platform/actor.js';
import type { MemberRole } from '../../platform/db/schema.js';
import { requireAdmin } from '../identity/access.js';
import { identityErrors } from '../identity/identity.errors.js';
import type { IdentityService } from '../identity/identity.service.js';
import type { RequestMeta } from '../audit/audit.service.js';
import { adminErrors } from './admin.errors.js';
import { AdminRepository, type AdminOrganizerRow, type AdminUserRow } from './admin.repository.js';

export interface AdminUserView {
  id: string;
  email: string;
  name: string;
  isAdmin: boolean;
  status: 'active' | 'disabled' | 'deleted';
  disabledAt: string | null;
  deletedAt: string | null;
  createdAt: string;
}

export interface AdminUserDetail extends AdminUserView {
  memberships: { organizerId: string; organizerName: string; role: MemberRole }[];
  bookings: number;
  confirmedBookings: number;
  liveSessions: number;
}

export interface AdminOrganizerView {
  id: string;
  name: string;
  slug: string;
  commissionBps: number;
  members: number;
  events: number;
  createdAt: string;
}

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function toUserView(u: AdminUserRow): AdminUserView {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    isAdmin: u.is_admin,
    status: u.deleted_at ? 'deleted' : u.disabled_at ? 'disabled' : 'active',
    disabledAt: iso(u.disabled_at),
    deletedAt: iso(u.deleted_at),
    createdAt: u.created_at.toISOString(),
  };
}

function toOrganizerView(o: AdminOrganizerRow): AdminOrganizerView {
  return {
    id: o.id,
    name: o.name,
    slug: o.slug,
    commissionBps: o.commission_bps,
    members: o.members,
    events: o.events,
    createdAt: o.created_at.toISOString(),
  };
}

function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!UUID.test(id)) throw adminErrors.invalidCursor();
  return id;
}

function page<R extends { id: string }, V>(rows: R[], limit: number, view: (r: R) => V): Page<V> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items: items.map(view), nextCursor: rows.length > limit && last ? Buffer.from(last.id).toString('base64url') : null };
}

/**
 * The platform operator's API: find users and organizers, disable and enable accounts. Every
 * method requires a platform admin. Disabling goes through the identity service (it owns accounts,
 * sessions and the auth hook's view of disabled users) and is audited there.
 */
export class AdminService {
  private readonly repo: AdminRepository;

  constructor(
    readonly db: Db,
    private readonly identity: IdentityService,
  ) {
    this.repo = new AdminRepository(db);
  }

  async listUsers(actor: Actor, q: { q?: string; status?: 'active' | 'disabled' | 'deleted'; cursor?: string; limit?: number }): Promise<Page<AdminUserView>> {
    requireAdmin(actor);
    const limit = q.limit ?? 50;
    const rows = await this.repo.searchUsers({ q: q.q?.trim() || undefined, status: q.status, afterId: decodeCursor(q.cursor), limit: limit + 1 });
    return page(rows, limit, toUserView);
  }

  async getUser(actor: Actor, id: string): Promise<AdminUserDetail> {
    requireAdmin(actor);
    const user = await this.repo.findUser(id);
    if (!user) throw identityErrors.userNotFound(id);
    return { ...toUserView(user), ...(await this.repo.userActivity(id)) };
  }

  async disableUser(actor: Actor, id: string, meta: RequestMeta = {}): Promise<AdminUserDetail> {
    await this.identity.setDisabled(actor, id, true, meta);
    return this.getUser(actor, id);
  }

  async enableUser(actor: Actor, id: string, meta: RequestMeta = {}): Promise<AdminUserDetail> {
    await this.identity.setDisabled(actor, id, false, meta);
    return this.getUser(actor, id);
  }

  async listOrganizers(actor: Actor, q: { q?: string; cursor?: string; limit?: number }): Promise<Page<AdminOrganizerView>> {
    requireAdmin(actor);
    const limit = q.limit ?? 50;
    const rows = await this.repo.searchOrganizers({ q: q.q?.trim() || undefined, afterId: decodeCursor(q.cursor), limit: limit + 1 });
    return page(rows, limit, toOrganizerView);
  }
}
