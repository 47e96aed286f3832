import crypto from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../../src/platform/db/database.js';

/** Helpers shared by the booking, inventory and idempotency tests. */
export const buyer = { name: 'Aline Uwase', email: 'aline@example.test', phone: '+250 788 123 456' };

export function bookingBody(eventId: string, items: { ticketTypeId: string; quantity: number }[]) {
  return { eventId, items, buyer };
}

export const newKey = () => crypto.randomUUID();

/** held/sold as stored, and as recounted from holds. */
export async function counters(db: Db, ticketTypeId: string) {
  const { rows } = await sql<{ capacity: number; held: number; sold: number; recount_held: number; pending: number }>`
    select t.capacity, t.held, t.sold,
      coalesce((select sum(h.quantity) from holds h join bookings b on b.id = h.booking_id
                where h.ticket_type_id = t.id and b.status = 'pending'), 0)::int as recount_held,
      (select count(*) from holds h join bookings b on b.id = h.booking_id
                where h.ticket_type_id = t.id and b.status = 'pending')::int as pending
    from ticket_types t where t.id = ${ticketTypeId}`.execute(db);
  return rows[0]!;
}
