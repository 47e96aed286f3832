import crypto from 'node:crypto';
import type { Db } from '../../src/platform/db/database.js';
import type { MemberRole, EventStatus } from '../../src/platform/db/schema.js';
import type { Tokens } from '../../src/modules/identity/tokens.js';

/**
 * Factories, not fixtures: each call makes fresh rows with unique names, straight in SQL (fast,
 * and independent of the services under test). Pass overrides for what the test cares about.
 *
 *   const make = factories(t.db, t.ctx.tokens);
 *   const { ticketType, event } = await make.ticketType({ capacity: 500 });
 */
const uniq = () => crypto.randomBytes(5).toString('hex');

// A fixed argon2id hash of "correct horse battery" so factory users can log in without paying
// for hashing in every test.
export const FACTORY_PASSWORD = 'correct horse battery';
const FACTORY_HASH =
  '$argon2id$v=19$m=65536,p=4,t=3$J4xOL49CmWc7xVxDvMDsFA$sMrke+HQ/RB3frLO4+fRwyfZxtylc2xoTMd/n/yDAUw';

export function factories(db: Db, tokens: Tokens) {
  const make = {
    async user(o: { email?: string; name?: string; isAdmin?: boolean } = {}) {
      const user = await db
        .insertInto('users')
        .values({
          email: (o.email ?? `user-${uniq()}@example.test`).toLowerCase(),
          name: o.name ?? 'Test User',
          password_hash: FACTORY_HASH,
          is_admin: o.isAdmin ?? false,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      const accessToken = await tokens.signAccess({ userId: user.id, isAdmin: user.is_admin });
      return { ...user, accessToken, auth: { authorization: `Bearer ${accessToken}` } };
    },

    async admin() {
      return make.user({ isAdmin: true });
    },

    async organizer(o: { name?: string; commissionBps?: number } = {}) {
      const name = o.name ?? `Organizer ${uniq()}`;
      return db
        .insertInto('organizers')
        .values({ name, slug: `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${uniq()}`, commission_bps: o.commissionBps ?? 500 })
        .returningAll()
        .executeTakeFirstOrThrow();
    },

    /** A user who is a member of an organizer (a new organizer unless given). */
    async member(o: { organizerId?: string; role?: MemberRole } = {}) {
      const organizerId = o.organizerId ?? (await make.organizer()).id;
      const user = await make.user();
      await db.insertInto('organizer_members').values({ organizer_id: organizerId, user_id: user.id, role: o.role ?? 'owner' }).execute();
      return { ...user, organizerId };
    },

    async venue(o: { organizerId?: string; name?: string; city?: string; capacity?: number; timezone?: string } = {}) {
      const organizerId = o.organizerId ?? (await make.organizer()).id;
      return db
        .insertInto('venues')
        .values({
          organizer_id: organizerId,
          name: o.name ?? `Venue ${uniq()}`,
          city: o.city ?? 'Kigali',
          country: 'RW',
          timezone: o.timezone ?? 'Africa/Kigali',
          capacity: o.capacity ?? 50_000,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    },

    async event(
      o: { organizerId?: string; venueId?: string; name?: string; status?: EventStatus; startsAt?: Date; holdMinutes?: number; description?: string } = {},
    ) {
      const organizerId = o.organizerId ?? (await make.organizer()).id;
      const venueId = o.venueId ?? (await make.venue({ organizerId })).id;
      const startsAt = o.startsAt ?? new Date(Date.now() + 30 * 24 * 3600 * 1000);
      return db
        .insertInto('events')
        .values({
          organizer_id: organizerId,
          venue_id: venueId,
          name: o.name ?? `Event ${uniq()}`,
          description: o.description ?? 'A test event',
          starts_at: startsAt,
          ends_at: new Date(startsAt.getTime() + 3 * 3600 * 1000),
          timezone: 'Africa/Kigali',
          status: o.status ?? 'published',
          hold_minutes: o.holdMinutes ?? 15,
          published_at: (o.status ?? 'published') === 'published' ? new Date() : null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    },

    /** A ticket type on a (new, published) event unless eventId is given. */
    async ticketType(
      o: {
        eventId?: string;
        organizerId?: string;
        name?: string;
        price?: number;
        currency?: string;
        capacity?: number;
        salesStart?: Date | null;
        salesEnd?: Date | null;
        minPerOrder?: number;
        maxPerOrder?: number;
        eventStatus?: EventStatus;
      } = {},
    ) {
      const event = o.eventId
        ? await db.selectFrom('events').selectAll().where('id', '=', o.eventId).executeTakeFirstOrThrow()
        : await make.event({ organizerId: o.organizerId, status: o.eventStatus });
      const ticketType = await db
        .insertInto('ticket_types')
        .values({
          event_id: event.id,
          name: o.name ?? `Regular ${uniq()}`,
          price: o.price ?? 5000,
          currency: o.currency ?? 'RWF',
          capacity: o.capacity ?? 100,
          sales_start: o.salesStart === undefined ? null : o.salesStart,
          sales_end: o.salesEnd === undefined ? null : o.salesEnd,
          min_per_order: o.minPerOrder ?? 1,
          max_per_order: o.maxPerOrder ?? 10,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return { ticketType, event };
    },
  };
  return make;
}
