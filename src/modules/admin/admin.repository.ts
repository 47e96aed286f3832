import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.js';
import type { MemberRole } from '../../platform/db/schema.js';

export interface AdminUserRow {
  id: string;
  email: string;
  name: string;
  is_admin: boolean;
  disabled_at: Date | null;
  deleted_at: Date | null;
  created_at: Date;
}

export interface AdminOrganizerRow {
  id: string;
  name: string;
  slug: string;
  commission_bps: number;
  members: number;
  events: number;
  created_at: Date;
}

/** `%q%` for ILIKE, with the pattern characters of q taken literally. */
const contains = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** The admin API's reads across accounts and organizers. */
export class AdminRepository {
  constructor(private readonly db: Executor) {}

  /** Users whose email or name contains `q` (case-insensitive), in id order after `afterId`. */
  async searchUsers(o: { q?: string; status?: 'active' | 'disabled' | 'deleted'; afterId?: string; limit: number }): Promise<AdminUserRow[]> {
    let query = this.db
      .selectFrom('users')
      .select(['id', 'email', 'name', 'is_admin', 'disabled_at', 'deleted_at', 'created_at'])
      .orderBy('id')
      .limit(o.limit);
    if (o.q) {
      const pattern = contains(o.q);
      query = query.where(sql<boolean>`(email ilike ${pattern} escape '\\' or name ilike ${pattern} escape '\\')`);
    }
    if (o.status === 'active') query = query.where('disabled_at', 'is', null);
    if (o.status === 'disabled') query = query.where('disabled_at', 'is not', null).where('deleted_at', 'is', null);
    if (o.status === 'deleted') query = query.where('deleted_at', 'is not', null);
    if (o.afterId) query = query.where('id', '>', o.afterId);
    return query.execute();
  }

  async findUser(id: string): Promise<AdminUserRow | undefined> {
    return this.db
      .selectFrom('users')
      .select(['id', 'email', 'name', 'is_admin', 'disabled_at', 'deleted_at', 'created_at'])
      .where('id', '=', id)
      .executeTakeFirst();
  }

  async userActivity(id: string): Promise<{
    memberships: { organizerId: string; organizerName: string; role: MemberRole }[];
    bookings: number;
    confirmedBookings: number;
    liveSessions: number;
  }> {
    const [memberships, counts] = await Promise.all([
      this.db
        .selectFrom('organizer_members as m')
        .innerJoin('organizers as o', 'o.id', 'm.organizer_id')
        .select(['m.organizer_id as organizerId', 'o.name as organizerName', 'm.role as role'])
        .where('m.user_id', '=', id)
        .orderBy('o.name')
        .execute(),
      this.db
        .selectNoFrom([
          sql<number>`(select count(*) from bookings where user_id = ${id})::int`.as('bookings'),
          sql<number>`(select count(*) from bookings where user_id = ${id} and status = 'confirmed')::int`.as('confirmed'),
          sql<number>`(select count(*) from refresh_tokens where user_id = ${id} and revoked_at is null
                        and rotated_at is null and expires_at > now())::int`.as('sessions'),
        ])
        .executeTakeFirstOrThrow(),
    ]);
    return { memberships, bookings: counts.bookings, confirmedBookings: counts.confirmed, liveSessions: counts.sessions };
  }

  /** Organizers whose name or slug contains `q`, in id order after `afterId`, with member and event counts. */
  async searchOrganizers(o: { q?: string; afterId?: string; limit: number }): Promise<AdminOrganizerRow[]> {
    let query = this.db
      .selectFrom('organizers as o')
      .select([
        'o.id',
        'o.name',
        'o.slug',
        'o.commission_bps',
        'o.created_at',
        sql<number>`(select count(*) from organizer_members m where m.organizer_id = o.id)::int`.as('members'),
        sql<number>`(select count(*) from events e where e.organizer_id = o.id)::int`.as('events'),
      ])
      .orderBy('o.id')
      .limit(o.limit);
    if (o.q) {
      const pattern = contains(o.q);
      query = query.where(sql<boolean>`(o.name ilike ${pattern} escape '\\' or o.slug ilike ${pattern} escape '\\')`);
    }
    if (o.afterId) query = query.where('o.id', '>', o.afterId);
    return query.execute();
  }
}
