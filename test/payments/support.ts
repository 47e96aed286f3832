import crypto from 'node:crypto';
import { sql } from 'kysely';
import { expect } from 'vitest';
import Stripe from 'stripe';
import type { TestApp } from '../helpers/testApp.js';
import type { Db } from '../../src/platform/db/database.js';
import { localServer, type Received } from './providers/support.js';

export { until, deadPort, localServer, uuid } from './providers/support.js';

/** A valid Rwandan MTN number (+250 78x xxx xxx) ending in the given MoMo sandbox test suffix. */
export function testPhone(suffix = String(crypto.randomInt(100, 449))): string {
  return `+25078${String(crypto.randomInt(0, 10_000)).padStart(4, '0')}${suffix.padStart(3, '0')}`;
}

export const STRIPE_WEBHOOK_SECRET = 'whsec_tikiti_payment_flow_tests';
const stripe = new Stripe('sk_test_unused');

export const newKey = () => crypto.randomUUID();
export const randomIp = () => `10.${crypto.randomInt(0, 255)}.${crypto.randomInt(0, 255)}.${crypto.randomInt(1, 254)}`;
export const uniqueEmail = () => `buyer-${crypto.randomBytes(5).toString('hex')}@example.test`;

/** A stand-in for api.stripe.com: creates and returns PaymentIntents (status requires_payment_method). */
export async function fakeStripe() {
  const intents = new Map<string, Record<string, unknown>>();
  const server = await localServer((r: Received, res) => {
    const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json', 'request-id': 'req_test' }).end(JSON.stringify(body));
    if (r.method === 'POST' && r.url === '/v1/payment_intents') {
      const f = Object.fromEntries(new URLSearchParams(r.body));
      const id = `pi_${crypto.randomBytes(12).toString('hex')}`;
      const pi = {
        id, object: 'payment_intent', amount: Number(f.amount), currency: f.currency, status: 'requires_payment_method',
        client_secret: `${id}_secret_abc`, last_payment_error: null, cancellation_reason: null, metadata: { paymentId: f['metadata[paymentId]'] },
      };
      intents.set(id, pi);
      return send(200, pi);
    }
    const get = /^\/v1\/payment_intents\/([^/?]+)/.exec(r.url);
    if (r.method === 'GET' && get && intents.has(get[1]!)) return send(200, intents.get(get[1]!));
    return send(404, { error: { type: 'invalid_request_error', code: 'resource_missing', message: `No such resource ${r.url}` } });
  });
  return { ...server, intents };
}

/** A Stripe event about a PaymentIntent, signed like Stripe signs it. */
export function stripeEvent(o: { id?: string; type: 'payment_intent.succeeded' | 'payment_intent.payment_failed'; intentId: string; paymentId: string; amount: number; currency: string; secret?: string }) {
  const payload = JSON.stringify({
    id: o.id ?? `evt_${crypto.randomBytes(12).toString('hex')}`,
    object: 'event',
    type: o.type,
    api_version: '2024-06-20',
    created: Math.floor(Date.now() / 1000),
    data: {
      object: {
        id: o.intentId, object: 'payment_intent', amount: o.amount, currency: o.currency.toLowerCase(),
        status: o.type === 'payment_intent.succeeded' ? 'succeeded' : 'requires_payment_method',
        last_payment_error: o.type === 'payment_intent.payment_failed' ? { code: 'card_declined', decline_code: 'insufficient_funds' } : null,
        metadata: { paymentId: o.paymentId },
      },
    },
  });
  const signature = stripe.webhooks.generateTestHeaderString({ payload, secret: o.secret ?? STRIPE_WEBHOOK_SECRET });
  return { payload, signature };
}

/** MoMo's callback body for a request-to-pay (what the sandbox PUTs). */
export function momoCallback(paymentId: string, o: { status: 'SUCCESSFUL' | 'FAILED'; amount: number; phone: string; currency?: string; reason?: string }) {
  return JSON.stringify({
    ...(o.status === 'SUCCESSFUL' ? { financialTransactionId: '123456789' } : {}),
    externalId: paymentId,
    amount: String(o.amount),
    currency: o.currency ?? 'RWF',
    payer: { partyIdType: 'MSISDN', partyId: o.phone.replace('+', '') },
    status: o.status,
    ...(o.reason ? { reason: o.reason } : {}),
  });
}

export interface Booked {
  id: string;
  token: string;
  total: number;
  ticketTypeId: string;
  eventId: string;
  email: string;
}

/**
 * Invariants after every payment test, over the ticket types and payments the test touched:
 * no booking has two applied payments and every confirmed booking with payments has exactly one;
 * held/sold recount from holds; every succeeded payment has an outcome, and every unapplied one a
 * refund; ledger debits = credits per currency.
 */
export async function checkInvariants(db: Db, ticketTypeIds: string[]) {
  const { rows: twice } = await sql<{ booking_id: string }>`
    select booking_id from payments where outcome = 'applied' group by booking_id having count(*) > 1`.execute(db);
  expect(twice, 'no booking has two applied payments').toEqual([]);

  if (ticketTypeIds.length > 0) {
    const { rows: confirmedWrong } = await sql<{ id: string; applied: number }>`
      select b.id, (select count(*) from payments p where p.booking_id = b.id and p.outcome = 'applied')::int as applied
      from bookings b join holds h on h.booking_id = b.id
      where h.ticket_type_id = any(${ticketTypeIds}::uuid[]) and b.status = 'confirmed'
        and (select count(*) from payments p where p.booking_id = b.id and p.outcome = 'applied') <> 1`.execute(db);
    expect(confirmedWrong, 'every confirmed booking has exactly one applied payment').toEqual([]);

    const { rows: drift } = await sql<{ id: string; held: number; sold: number; recount_held: number; recount_sold: number }>`
      select t.id, t.held, t.sold,
        coalesce((select sum(h.quantity) from holds h join bookings b on b.id = h.booking_id where h.ticket_type_id = t.id and b.status = 'pending'), 0)::int as recount_held,
        coalesce((select sum(h.quantity - h.refunded_quantity) from holds h join bookings b on b.id = h.booking_id
                  where h.ticket_type_id = t.id and b.status in ('confirmed', 'partially_refunded', 'refunded')), 0)::int as recount_sold
      from ticket_types t where t.id = any(${ticketTypeIds}::uuid[])`.execute(db);
    for (const d of drift) expect({ held: d.held, sold: d.sold }, `counters of ticket type ${d.id}`).toEqual({ held: d.recount_held, sold: d.recount_sold });
  }

  const { rows: noOutcome } = await sql<{ id: string }>`select id from payments where status = 'succeeded' and outcome is null`.execute(db);
  expect(noOutcome, 'every succeeded payment has an outcome').toEqual([]);
  const { rows: unrefunded } = await sql<{ id: string }>`
    select p.id from payments p where p.outcome in ('refunded_late', 'refunded_duplicate')
      and not exists (select 1 from refunds r where r.payment_id = p.id)`.execute(db);
  expect(unrefunded, 'every unapplied success is refunded').toEqual([]);
  const { rows: unposted } = await sql<{ id: string }>`
    select p.id from payments p where p.status = 'succeeded'
      and not exists (select 1 from ledger_transactions l where l.reference_id = p.id)`.execute(db);
  expect(unposted, 'every succeeded payment is in the ledger').toEqual([]);
  const { rows: ledger } = await sql<{ currency: string; debits: number; credits: number }>`
    select currency, coalesce(sum(debit), 0)::bigint as debits, coalesce(sum(credit), 0)::bigint as credits from ledger_entries group by currency`.execute(db);
  for (const l of ledger) expect(Number(l.debits), `ledger ${l.currency} debits = credits`).toBe(Number(l.credits));
}

/** Payments row straight from the database. */
export async function paymentRow(db: Db, id: string) {
  return db.selectFrom('payments').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

export async function bookingStatus(db: Db, id: string) {
  return (await db.selectFrom('bookings').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;
}

export async function counts(db: Db, ticketTypeId: string) {
  return db.selectFrom('ticket_types').select(['held', 'sold', 'capacity']).where('id', '=', ticketTypeId).executeTakeFirstOrThrow();
}

/** Remove a payment's poll job (so only a webhook can resolve it). */
export async function stopPolling(db: Db, paymentId: string) {
  await sql`select graphile_worker.remove_job(${`payment-poll:${paymentId}`})`.execute(db);
}

export function bookingHelpers(t: () => TestApp, track: (ticketTypeId: string) => void) {
  return {
    async book(o: { make: { ticketType: (o: { capacity?: number; price?: number; currency?: string }) => Promise<{ ticketType: { id: string }; event: { id: string } }> }; capacity?: number; quantity?: number; price?: number; currency?: string; email?: string; phone?: string; ticketTypeId?: string; eventId?: string }): Promise<Booked> {
      let ticketTypeId = o.ticketTypeId;
      let eventId = o.eventId;
      if (!ticketTypeId || !eventId) {
        const made = await o.make.ticketType({ capacity: o.capacity ?? 10, price: o.price ?? 5000, currency: o.currency ?? 'RWF' });
        ticketTypeId = made.ticketType.id;
        eventId = made.event.id;
      }
      track(ticketTypeId);
      const email = o.email ?? uniqueEmail();
      const res = await t().app.inject({
        method: 'POST', url: '/api/v1/bookings', headers: { 'idempotency-key': newKey() }, remoteAddress: randomIp(),
        payload: { eventId, items: [{ ticketTypeId, quantity: o.quantity ?? 1 }], buyer: { name: 'Aline Uwase', email, phone: o.phone ?? '+250788123456' } },
      });
      expect(res.statusCode, res.body).toBe(201);
      const b = res.json() as { id: string; bookingAccessToken: string; total: number };
      return { id: b.id, token: b.bookingAccessToken, total: b.total, ticketTypeId, eventId, email };
    },
  };
}
