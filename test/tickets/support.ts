import crypto from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../../src/platform/db/database.js';
import type { TestApp } from '../helpers/testApp.js';
import { factories } from '../helpers/factories.js';

export const newKey = () => crypto.randomUUID();
const hash = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

/**
 * A booking as the payment flow leaves it once paid — status confirmed, holds counted in `sold` —
 * written straight in SQL (the tickets module starts where payments ends). Guests get a token.
 */
export async function confirmedBooking(
  db: Db,
  o: { eventId: string; items: { ticketTypeId: string; quantity: number; unitPrice?: number }[]; userId?: string; buyerName?: string; email?: string; status?: 'confirmed' | 'pending' },
) {
  const token = crypto.randomBytes(24).toString('base64url');
  const total = o.items.reduce((s, i) => s + i.quantity * (i.unitPrice ?? 5000), 0);
  const status = o.status ?? 'confirmed';
  const b = await db
    .insertInto('bookings')
    .values({
      event_id: o.eventId,
      user_id: o.userId ?? null,
      status,
      buyer_name: o.buyerName ?? 'Aline Uwase',
      buyer_email: o.email ?? `buyer-${crypto.randomBytes(4).toString('hex')}@example.test`,
      buyer_phone: '+250788123456',
      access_token_hash: o.userId ? null : hash(token),
      total,
      currency: 'RWF',
      expires_at: new Date(Date.now() + 15 * 60_000),
      confirmed_at: status === 'confirmed' ? new Date() : null,
    })
    .returning(['id', 'buyer_email'])
    .executeTakeFirstOrThrow();
  for (const i of o.items) {
    await db.insertInto('holds').values({ booking_id: b.id, ticket_type_id: i.ticketTypeId, quantity: i.quantity, unit_price: i.unitPrice ?? 5000 }).execute();
    const col = status === 'confirmed' ? sql`sold` : sql`held`;
    await sql`update ticket_types set ${col} = ${col} + ${i.quantity} where id = ${i.ticketTypeId}`.execute(db);
  }
  return { id: b.id, token, email: b.buyer_email, tokenHeader: { 'x-booking-token': token } };
}

/** An organizer with an owner and a gate steward, a venue, an event that is on now, and two ticket types. */
export async function gateSetup(t: TestApp, o: { startsAt?: Date; capacity?: number; timezone?: string } = {}) {
  const make = factories(t.db, t.ctx.tokens);
  const owner = await make.member({ role: 'owner' });
  const gate = await make.member({ organizerId: owner.organizerId, role: 'gate' });
  const venue = await make.venue({ organizerId: owner.organizerId, timezone: o.timezone });
  const event = await make.event({ organizerId: owner.organizerId, venueId: venue.id, startsAt: o.startsAt ?? new Date(Date.now() - 30 * 60_000) });
  const { ticketType: regular } = await make.ticketType({ eventId: event.id, name: 'Regular', capacity: o.capacity ?? 10_000, maxPerOrder: 1000 });
  const { ticketType: vip } = await make.ticketType({ eventId: event.id, name: 'VIP', capacity: o.capacity ?? 10_000, maxPerOrder: 1000 });
  return { make, owner, gate, venue, event, regular, vip };
}

export async function createList(t: TestApp, auth: Record<string, string>, eventId: string, body: Record<string, unknown>) {
  const res = await t.app.inject({ method: 'POST', url: `/api/v1/events/${eventId}/checkin-lists`, headers: { ...auth, 'idempotency-key': newKey() }, payload: body });
  if (res.statusCode !== 201) throw new Error(`createList: ${res.statusCode} ${res.body}`);
  return res.json() as { id: string; eventId: string; ticketTypeIds: string[]; gates: string[] };
}

export async function ticketsOf(t: TestApp, bookingId: string) {
  return t.db.selectFrom('tickets').selectAll().where('booking_id', '=', bookingId).orderBy('ticket_type_id').orderBy('seq').execute();
}

/** Jobs queued for a task and key (graphile-worker's table). */
export async function queuedJobs(db: Db, task: string, key: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
    where t.identifier = ${task} and j.key = ${key}`.execute(db);
  return rows[0]!.n;
}
