import type { AppContext } from './context.js';
import type { Actor } from './platform/actor.js';
import { isAppError } from './platform/errors.js';
import { OrganizersService } from './modules/organizers/organizers.service.js';
import { EventsService } from './modules/events/events.service.js';

/**
 * Demo data a visitor can play with at once: an organizer with a stadium match and a theatre
 * night, and an account for each kind of user. Created through the services, so it obeys the
 * same rules as data entered over the API. Idempotent: does nothing when the demo organizer
 * exists (also when another process seeds at the same moment).
 */

export const DEMO_ORGANIZER_SLUG = 'kigali-sports-events';

export const DEMO_LOGINS: { role: string; email: string; password: string }[] = [
  { role: 'admin', email: 'admin@tikiti.test', password: 'tikiti-admin-demo' },
  { role: 'organizer owner', email: 'owner@tikiti.test', password: 'tikiti-owner-demo' },
  { role: 'gate staff', email: 'gate@tikiti.test', password: 'tikiti-gate-demo' },
  { role: 'buyer', email: 'buyer@tikiti.test', password: 'tikiti-buyer-demo' },
];

const DAY = 24 * 3600 * 1000;

/** A UTC instant `days` from today at `hour`:`minute` Kigali time (UTC+2, no daylight saving). */
function kigaliTime(days: number, hour: number, minute = 0): Date {
  const d = new Date(Date.now() + days * DAY);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), hour - 2, minute));
}

function login(role: string) {
  const l = DEMO_LOGINS.find((d) => d.role === role);
  if (!l) throw new Error(`no demo login ${role}`);
  return l;
}

/** Returns true when it created the demo data, false when it was already there. */
export async function seedDemo(ctx: AppContext): Promise<boolean> {
  if (await ctx.organizers.findBySlug(DEMO_ORGANIZER_SLUG)) return false;

  const names: Record<string, string> = { admin: 'Demo Admin', 'organizer owner': 'Demo Owner', 'gate staff': 'Demo Gate', buyer: 'Demo Buyer' };
  const users: Record<string, { id: string }> = {};
  for (const d of DEMO_LOGINS) {
    users[d.role] = await ctx.identity.ensureUser({ email: d.email, password: d.password, name: names[d.role]!, isAdmin: d.role === 'admin' });
  }
  const admin: Actor = { userId: users.admin!.id, isAdmin: true };
  const owner: Actor = { userId: users['organizer owner']!.id, isAdmin: false };

  try {
    await ctx.db.transaction().execute(async (tx) => {
      // The same services, bound to this transaction: all of the demo catalogue or none of it.
      const organizers = new OrganizersService(tx);
      const events = new EventsService(tx, organizers);

      const org = await organizers.create(admin, { name: 'Kigali Sports Events', commissionBps: 500 }, { exactSlug: DEMO_ORGANIZER_SLUG });
      await organizers.addMember(admin, org.id, { email: login('organizer owner').email, role: 'owner' });
      await organizers.addMember(owner, org.id, { email: login('gate staff').email, role: 'gate' });

      // The match: 45,000 seats, three price levels in RWF (no minor unit: 5000 means 5,000 RWF).
      const stadium = await events.createVenue(owner, org.id, {
        name: 'Amahoro Stadium',
        city: 'Kigali',
        country: 'RW',
        timezone: 'Africa/Kigali',
        capacity: 45_000,
      });
      const kickOff = kigaliTime(30, 15);
      const match = await events.createEvent(owner, org.id, {
        name: 'APR FC vs Rayon Sports',
        description: 'The Kigali derby at Amahoro Stadium. Gates open two hours before kick-off; bring your ticket QR code.',
        venueId: stadium.id,
        startsAt: kickOff.toISOString(),
        endsAt: new Date(kickOff.getTime() + 2 * 3600 * 1000).toISOString(),
        holdMinutes: 10,
      });
      const matchTypes = [
        { name: 'Regular', description: 'Open stands', price: 5_000, capacity: 38_000, maxPerOrder: 10 },
        { name: 'VIP', description: 'Covered seats on the main stand', price: 30_000, capacity: 6_000, maxPerOrder: 8 },
        { name: 'VVIP', description: 'Lounge access and reserved parking', price: 100_000, capacity: 1_000, maxPerOrder: 4 },
      ];
      for (const [i, tt] of matchTypes.entries()) {
        await events.createTicketType(owner, match.id, { ...tt, currency: 'RWF', sortOrder: i });
      }
      await events.publishEvent(owner, match.id);

      // A small theatre night.
      const theatre = await events.createVenue(owner, org.id, {
        name: 'Kigali Arts Theatre',
        city: 'Kigali',
        country: 'RW',
        timezone: 'Africa/Kigali',
        capacity: 300,
      });
      const curtain = kigaliTime(14, 19);
      const play = await events.createEvent(owner, org.id, {
        name: 'Kigali Theatre Night',
        description: 'An evening of contemporary Rwandan theatre, in Kinyarwanda with English surtitles.',
        venueId: theatre.id,
        startsAt: curtain.toISOString(),
        endsAt: new Date(curtain.getTime() + 150 * 60 * 1000).toISOString(),
      });
      await events.createTicketType(owner, play.id, { name: 'Standard', price: 10_000, currency: 'RWF', capacity: 250, maxPerOrder: 6, sortOrder: 0 });
      await events.createTicketType(owner, play.id, { name: 'Front row', price: 20_000, currency: 'RWF', capacity: 50, maxPerOrder: 4, sortOrder: 1 });
      await events.publishEvent(owner, play.id);
    });
  } catch (e) {
    // Another process seeded at the same moment: its data stands.
    if (isAppError(e) && e.code === 'organizer_slug_taken') return false;
    throw e;
  }
  return true;
}
