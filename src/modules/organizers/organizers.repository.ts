import { sql, type Selectable } from 'kysely';
import { translatePgError, type Executor } from '../../platform/db/database.js';
import type { MemberRole, OrganizersTable } from '../../platform/db/schema.js';
import { organizersErrors } from './organizers.errors.js';

export type OrganizerRow = Selectable<OrganizersTable>;

export interface MemberRow {
  user_id: string;
  email: string;
  name: string;
  role: MemberRole;
  created_at: Date;
}

/** All SQL of the organizers domain. Accepts the pool or a transaction (`with(tx)`). */
export class OrganizersRepository {
  constructor(private readonly db: Executor) {}

  with(tx: Executor): OrganizersRepository {
    return new OrganizersRepository(tx);
  }

  async insertOrganizer(input: { name: string; slug: string; commissionBps: number }): Promise<OrganizerRow> {
    try {
      return await this.db
        .insertInto('organizers')
        .values({ name: input.name, slug: input.slug, commission_bps: input.commissionBps })
        .returningAll()
        .executeTakeFirstOrThrow();
    } catch (e) {
      translatePgError(e, { unique: () => organizersErrors.slugTaken(input.slug) });
    }
  }

  async findById(id: string): Promise<OrganizerRow | undefined> {
    return this.db.selectFrom('organizers').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async findBySlug(slug: string): Promise<OrganizerRow | undefined> {
    return this.db.selectFrom('organizers').selectAll().where('slug', '=', slug).executeTakeFirst();
  }

  /** Lock the organizer row: serializes membership changes of one organizer. */
  async lockById(id: string): Promise<OrganizerRow | undefined> {
    return this.db.selectFrom('organizers').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  }

  /**
   * Organizers in id order (UUIDv7: creation order), after `afterId`. With `userId`, only those
   * the user is a member of, with their role.
   */
  async list(opts: { userId?: string; afterId?: string; limit: number }): Promise<(OrganizerRow & { role: MemberRole | null })[]> {
    let q = this.db
      .selectFrom('organizers as o')
      .selectAll('o')
      .orderBy('o.id')
      .limit(opts.limit);
    if (opts.userId) {
      q = q
        .innerJoin('organizer_members as m', (j) => j.onRef('m.organizer_id', '=', 'o.id').on('m.user_id', '=', opts.userId!))
        .select(sql<MemberRole | null>`m.role`.as('role'));
    } else {
      q = q.select(sql<MemberRole | null>`null`.as('role'));
    }
    if (opts.afterId) q = q.where('o.id', '>', opts.afterId);
    return q.execute() as Promise<(OrganizerRow & { role: MemberRole | null })[]>;
  }

  async update(id: string, patch: { name?: string; commissionBps?: number }): Promise<OrganizerRow | undefined> {
    return this.db
      .updateTable('organizers')
      .set({
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.commissionBps !== undefined ? { commission_bps: patch.commissionBps } : {}),
        updated_at: sql`now()`,
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
  }

  async findRole(organizerId: string, userId: string): Promise<MemberRole | undefined> {
    const row = await this.db
      .selectFrom('organizer_members')
      .select('role')
      .where('organizer_id', '=', organizerId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row?.role;
  }

  async listMembers(organizerId: string): Promise<MemberRow[]> {
    return this.db
      .selectFrom('organizer_members as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select(['m.user_id', 'u.email', 'u.name', 'm.role', 'm.created_at'])
      .where('m.organizer_id', '=', organizerId)
      .orderBy('m.created_at')
      .orderBy('m.user_id')
      .execute();
  }

  async findMember(organizerId: string, userId: string): Promise<MemberRow | undefined> {
    return this.db
      .selectFrom('organizer_members as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select(['m.user_id', 'u.email', 'u.name', 'm.role', 'm.created_at'])
      .where('m.organizer_id', '=', organizerId)
      .where('m.user_id', '=', userId)
      .executeTakeFirst();
  }

  /** Read-only lookup of an account by its (normalized) email, for adding members. */
  async findUserIdByEmail(email: string): Promise<string | undefined> {
    const row = await this.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();
    return row?.id;
  }

  /** Adds the member; undefined when they already are one (the row is left as it was). */
  async insertMember(organizerId: string, userId: string, role: MemberRole): Promise<boolean> {
    const rows = await this.db
      .insertInto('organizer_members')
      .values({ organizer_id: organizerId, user_id: userId, role })
      .onConflict((oc) => oc.columns(['organizer_id', 'user_id']).doNothing())
      .returning('user_id')
      .execute();
    return rows.length === 1;
  }

  async countOwners(organizerId: string): Promise<number> {
    const row = await this.db
      .selectFrom('organizer_members')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('organizer_id', '=', organizerId)
      .where('role', '=', 'owner')
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async deleteMember(organizerId: string, userId: string): Promise<boolean> {
    const res = await this.db
      .deleteFrom('organizer_members')
      .where('organizer_id', '=', organizerId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return Number(res.numDeletedRows) === 1;
  }
}
