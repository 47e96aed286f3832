import type { Db, Executor } from '../../platform/db/database.js';
import type { Actor } from '../../platform/actor.js';
import { requireAdmin } from '../identity/access.js';
import { MANAGER_ROLES, type OrganizersService } from '../organizers/organizers.service.js';
import type { AuditAction } from './audit.actions.js';
import { auditErrors } from './audit.errors.js';
import { AuditRepository, type AuditRow } from './audit.repository.js';

/** Request metadata a route hands to a service so its audit entries carry the request id. */
export interface RequestMeta {
  requestId?: string;
}

export interface AuditEntryInput {
  /** Who did it; null for the system (CLI, jobs). */
  actor: Actor | null;
  action: AuditAction;
  organizerId?: string | null;
  target: { type: string; id: string };
  requestId?: string | null;
  /** The relevant fields before and after the change (never secrets or personal data beyond ids). */
  before?: unknown;
  after?: unknown;
}

export interface AuditEntryView {
  id: string;
  action: string;
  actor: { id: string; name: string | null } | null;
  organizerId: string | null;
  target: { type: string; id: string };
  requestId: string | null;
  before: unknown;
  after: unknown;
  createdAt: string;
}

export interface AuditQuery {
  action?: string;
  cursor?: string;
  limit?: number;
}

export interface AdminAuditQuery extends AuditQuery {
  organizerId?: string;
  actorUserId?: string;
  targetType?: string;
  targetId?: string;
}

function toView(r: AuditRow): AuditEntryView {
  return {
    id: r.id,
    action: r.action,
    actor: r.actor_user_id ? { id: r.actor_user_id, name: r.actor_name } : null,
    organizerId: r.organizer_id,
    target: { type: r.target_type, id: r.target_id },
    requestId: r.request_id,
    before: r.before ?? null,
    after: r.after ?? null,
    createdAt: r.created_at.toISOString(),
  };
}

const json = (v: unknown) => (v === undefined || v === null ? null : JSON.stringify(v));

/**
 * The audit log of privileged actions. `record` writes in the caller's transaction; organizers'
 * owners and managers read their own organizer's entries, platform admins read everything.
 */
export class AuditService {
  private readonly repo: AuditRepository;
  /** Set in context.ts (the organizers service needs the audit log, and the log its role checks). */
  organizers?: OrganizersService;

  constructor(readonly db: Db) {
    this.repo = new AuditRepository(db);
  }

  /** Append an entry in `tx`: it commits or rolls back with the change it describes. */
  async record(tx: Executor, e: AuditEntryInput): Promise<void> {
    await this.repo.insertEntry(tx, {
      actorUserId: e.actor?.userId ?? null,
      action: e.action,
      organizerId: e.organizerId ?? null,
      targetType: e.target.type,
      targetId: e.target.id,
      requestId: e.requestId ?? null,
      before: json(e.before),
      after: json(e.after),
    });
  }

  /** An organizer's entries, newest first (owners, managers, admins). */
  async listForOrganizer(actor: Actor, organizerId: string, q: AuditQuery): Promise<{ items: AuditEntryView[]; nextCursor: string | null }> {
    if (!this.organizers) throw new Error('AuditService.organizers is not wired');
    await this.organizers.requireRole(actor, organizerId, MANAGER_ROLES);
    return this.page({ ...q, organizerId });
  }

  /** Every entry, newest first, filtered (platform admins). */
  async listAll(actor: Actor, q: AdminAuditQuery): Promise<{ items: AuditEntryView[]; nextCursor: string | null }> {
    requireAdmin(actor);
    return this.page(q);
  }

  private async page(q: AdminAuditQuery): Promise<{ items: AuditEntryView[]; nextCursor: string | null }> {
    const limit = q.limit ?? 50;
    let beforeSeq: number | undefined;
    if (q.cursor) {
      const decoded = Buffer.from(q.cursor, 'base64url').toString('utf8');
      if (!/^s\d{1,15}$/.test(decoded)) throw auditErrors.invalidCursor();
      beforeSeq = Number(decoded.slice(1));
    }
    const rows = await this.repo.listEntries({
      organizerId: q.organizerId,
      actorUserId: q.actorUserId,
      actionPrefix: q.action,
      targetType: q.targetType,
      targetId: q.targetId,
      beforeSeq,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toView),
      nextCursor: rows.length > limit && last ? Buffer.from(`s${last.seq}`).toString('base64url') : null,
    };
  }
}
