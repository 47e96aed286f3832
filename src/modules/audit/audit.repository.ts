import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.js';

export interface AuditRow {
  id: string;
  seq: number;
  actor_user_id: string | null;
  actor_name: string | null;
  action: string;
  organizer_id: string | null;
  target_type: string;
  target_id: string;
  request_id: string | null;
  before: unknown;
  after: unknown;
  created_at: Date;
}

export interface AuditFilter {
  organizerId?: string;
  actorUserId?: string;
  /** Dotted-name prefix: `event` matches event.*, `ticket_type.cap` matches ticket_type.capacity_changed. */
  actionPrefix?: string;
  targetType?: string;
  targetId?: string;
  /** Keyset: entries written before this one (insertion order). */
  beforeSeq?: number;
  limit: number;
}

/** All SQL of the audit log. */
export class AuditRepository {
  constructor(private readonly db: Executor) {}

  async insertEntry(
    db: Executor,
    e: {
      actorUserId: string | null;
      action: string;
      organizerId: string | null;
      targetType: string;
      targetId: string;
      requestId: string | null;
      before: string | null;
      after: string | null;
    },
  ): Promise<void> {
    await db
      .insertInto('audit_log')
      .values({
        actor_user_id: e.actorUserId,
        action: e.action,
        organizer_id: e.organizerId,
        target_type: e.targetType,
        target_id: e.targetId,
        request_id: e.requestId,
        before: e.before,
        after: e.after,
      })
      .execute();
  }

  /** Newest first. */
  async listEntries(f: AuditFilter): Promise<AuditRow[]> {
    let q = this.db
      .selectFrom('audit_log as a')
      .leftJoin('users as u', 'u.id', 'a.actor_user_id')
      .select([
        'a.id',
        'a.seq',
        'a.actor_user_id',
        'u.name as actor_name',
        'a.action',
        'a.organizer_id',
        'a.target_type',
        'a.target_id',
        'a.request_id',
        'a.before',
        'a.after',
        'a.created_at',
      ])
      .orderBy('a.seq', 'desc')
      .limit(f.limit);
    if (f.organizerId) q = q.where('a.organizer_id', '=', f.organizerId);
    if (f.actorUserId) q = q.where('a.actor_user_id', '=', f.actorUserId);
    if (f.targetType) q = q.where('a.target_type', '=', f.targetType);
    if (f.targetId) q = q.where('a.target_id', '=', f.targetId);
    if (f.actionPrefix) {
      const pattern = f.actionPrefix.replace(/[\\%_]/g, (c) => `\\${c}`) + '%';
      q = q.where(sql<boolean>`a.action like ${pattern} escape '\\'`);
    }
    if (f.beforeSeq !== undefined) q = q.where('a.seq', '<', f.beforeSeq);
    return q.execute() as Promise<AuditRow[]>;
  }
}
