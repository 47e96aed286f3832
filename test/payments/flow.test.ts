import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { testApp, testConfig, testDatabaseUrl, type TestApp } from '../helpers/testApp.js';
import { createDb } from '../../src/platform/db/database.js';
import { createContext } from '../../src/context.js';
import { buildApp } from '../../src/app.js';
import { createPaymentProviders, MomoProvider } from '../../src/modules/payments/providers/index.js';
import { PaymentsService } from '../../src/modules/payments/payments.service.js';
import { factories } from '../helpers/factories.js';
import { startWorker, type WorkerHandle } from '../../src/platform/jobs/runner.js';
import {
  bookingHelpers, bookingStatus, checkInvariants, counts, deadPort, fakeStripe, momoCallback, newKey, paymentRow, randomIp,
  stopPolling, STRIPE_WEBHOOK_SECRET, stripeEvent, testPhone, until,
} from './support.js';

/**
 * The payment flow end to end over HTTP: the app listens on a real port (the MoMo sandbox calls
 * back into it), a real graphile worker runs the poll and webhook jobs, Stripe is a local fake
 * API with SDK-signed webhooks. After every test: the invariants (support.ts checkInvariants).
 */
let t: TestApp;
let worker: WorkerHandle;
let stripeApi: Awaited<ReturnType<typeof fakeStripe>>;
let base: string;
let make: ReturnType<typeof factories>;
const touched = new Set<string>();
const { book } = bookingHelpers(() => t, (id) => touched.add(id));
const TIMEOUT_S = 3;

beforeAll(async () => {
  stripeApi = await fakeStripe();
  t = await testApp({}, {
    PORT: '0',
    SANDBOX_CONFIRM_DELAY_MS: '150',
    PAYMENT_POLL_INITIAL_SECONDS: '0.3',
    PAYMENT_POLL_MAX_SECONDS: '0.6',
    PAYMENT_PENDING_TIMEOUT_SECONDS: String(TIMEOUT_S),
    STRIPE_SECRET_KEY: 'sk_test_tikiti',
    STRIPE_WEBHOOK_SECRET,
    STRIPE_API_BASE: stripeApi.url,
    PAYMENT_PROVIDER_TIMEOUT_MS: '3000',
  });
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  worker = await startWorker(t.ctx, { connectionString: testDatabaseUrl(), concurrency: 4, pollInterval: 100, crontab: false });
  make = factories(t.db, t.ctx.tokens);
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
  await stripeApi?.close();
});
afterEach(async () => {
  await checkInvariants(t.db, [...touched]);
});

async function pay(bookingId: string, token: string | undefined, body: Record<string, unknown>, o: { key?: string; ip?: string; auth?: Record<string, string> } = {}) {
  return t.app.inject({
    method: 'POST', url: `/api/v1/bookings/${bookingId}/payments`, remoteAddress: o.ip ?? randomIp(),
    headers: { 'idempotency-key': o.key ?? newKey(), ...(token ? { 'x-booking-token': token } : {}), ...(o.auth ?? {}) },
    payload: body,
  });
}

const settled = (id: string, ms = 15_000) => until(() => paymentRow(t.db, id), (p) => p.status !== 'pending', ms, 100);
const processedEvents = (ref: string) =>
  t.db.selectFrom('webhook_events').select(['id', 'status', 'event_id']).where('provider_ref', '=', ref).execute();

/** A momo payment whose callback goes nowhere and whose polling is stopped: only what the test sends resolves it. */
async function silentMomoPayment(b: { id: string; token: string }, phone = testPhone()) {
  t.ctx.payments.setLocalBaseUrl(`http://127.0.0.1:${await deadPort()}`);
  try {
    const res = await pay(b.id, b.token, { method: 'momo', phone });
    expect(res.statusCode, res.body).toBe(201);
    const id = (res.json() as { id: string }).id;
    await stopPolling(t.db, id);
    // Wait until the sandbox has decided (its status GET is the truth the webhook job reads).
    await until(() => t.ctx.paymentProviders.getStatus('momo', id), (s) => s.status !== 'pending', 10_000, 50);
    return { id, phone };
  } finally {
    t.ctx.payments.setLocalBaseUrl(base);
  }
}

async function putCallback(body: string) {
  const res = await fetch(`${base}/api/v1/webhooks/momo`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body });
  return { status: res.status, body: (await res.json()) as { received?: boolean; duplicate?: boolean; code?: string } };
}

describe('mobile money through the sandbox', () => {
  it('success: 201 pending with "approve on your phone", then the callback confirms the booking, moves held→sold and posts the ledger', async () => {
    const b = await book({ make, capacity: 5, quantity: 2 });
    const phone = testPhone();
    const key = newKey();
    const ip = randomIp();
    const res = await pay(b.id, b.token, { method: 'momo', phone }, { key, ip });
    expect(res.statusCode, res.body).toBe(201);
    const p = res.json();
    expect(p).toMatchObject({ status: 'pending', method: 'momo', provider: 'momo', amount: 10_000, currency: 'RWF', payerPhone: phone, bookingId: b.id });
    expect(p.nextAction).toMatchObject({ type: 'approve_on_phone', phone });
    expect(p.fraud).toBeUndefined(); // buyers do not see fraud scores
    expect(res.headers.location).toBe(`/api/v1/payments/${p.id}`);

    // Same key, same body: the stored answer, no second payment.
    const again = await pay(b.id, b.token, { method: 'momo', phone }, { key, ip });
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json().id).toBe(p.id);

    expect(await settled(p.id)).toMatchObject({ status: 'succeeded', outcome: 'applied', provider_ref: p.id });
    expect(await bookingStatus(t.db, b.id)).toBe('confirmed');
    expect(await counts(t.db, b.ticketTypeId)).toMatchObject({ held: 0, sold: 2 });
    const ledger = await t.db.selectFrom('ledger_transactions').select(['kind', 'currency']).where('reference_id', '=', p.id).execute();
    expect(ledger.length).toBeGreaterThan(0);
    // The callback arrived and was processed once.
    expect(await until(() => processedEvents(p.id), (rows) => rows.length === 1 && rows[0]!.status === 'processed')).toHaveLength(1);

    const get = await t.app.inject({ url: `/api/v1/payments/${p.id}`, headers: { 'x-booking-token': b.token } });
    expect(get.json()).toMatchObject({ id: p.id, status: 'succeeded', outcome: 'applied' });
    const list = await t.app.inject({ url: `/api/v1/bookings/${b.id}/payments?token=${b.token}` });
    expect(list.json().items.map((x: { id: string }) => x.id)).toEqual([p.id]);
    // Paid: a second payment is refused.
    const late = await pay(b.id, b.token, { method: 'momo', phone });
    expect(late.statusCode).toBe(409);
    expect(late.json()).toMatchObject({ code: 'booking_not_pending', bookingStatus: 'confirmed' });
  });

  it.each([
    ['450', 'INTERNAL_PROCESSING_ERROR'],
    ['451', 'APPROVAL_REJECTED'],
    ['452', 'EXPIRED'],
    ['455', 'PAYER_NOT_FOUND'],
  ])('payer …%s → failed with reason %s, the booking stays pending, and a retry with another number succeeds', async (suffix, reason) => {
    const b = await book({ make, capacity: 3, quantity: 1 });
    const res = await pay(b.id, b.token, { method: 'momo', phone: testPhone(suffix) });
    expect(res.statusCode, res.body).toBe(201);
    const failed = await settled(res.json().id);
    expect(failed).toMatchObject({ status: 'failed', failure_reason: reason, outcome: null });
    expect(await bookingStatus(t.db, b.id)).toBe('pending');
    expect(await counts(t.db, b.ticketTypeId)).toMatchObject({ held: 1, sold: 0 });

    const retry = await pay(b.id, b.token, { method: 'momo', phone: testPhone() });
    expect(retry.statusCode, retry.body).toBe(201);
    expect(await settled(retry.json().id)).toMatchObject({ status: 'succeeded', outcome: 'applied' });
    expect(await bookingStatus(t.db, b.id)).toBe('confirmed');
  });

  it('payer …453 stays pending at the provider: polling gives up after the timeout (failed, reason timeout), booking still pending', async () => {
    const b = await book({ make });
    const res = await pay(b.id, b.token, { method: 'momo', phone: testPhone('453') });
    const id = res.json().id;
    await new Promise((r) => setTimeout(r, 800));
    expect((await paymentRow(t.db, id)).status).toBe('pending');
    const p = await settled(id, (TIMEOUT_S + 10) * 1000);
    expect(p).toMatchObject({ status: 'failed', failure_reason: 'timeout' });
    expect(p.poll_attempts).toBeGreaterThanOrEqual(2);
    expect(await bookingStatus(t.db, b.id)).toBe('pending');
  });

  it('a callback that never comes: polling finds the success', async () => {
    const b = await book({ make });
    t.ctx.payments.setLocalBaseUrl(`http://127.0.0.1:${await deadPort()}`);
    let id: string;
    try {
      const res = await pay(b.id, b.token, { method: 'momo', phone: testPhone() });
      id = res.json().id;
    } finally {
      t.ctx.payments.setLocalBaseUrl(base);
    }
    const p = await settled(id);
    expect(p).toMatchObject({ status: 'succeeded', outcome: 'applied' });
    expect(p.poll_attempts).toBeGreaterThanOrEqual(1);
    expect(await processedEvents(id)).toEqual([]); // no callback reached us
    expect(await bookingStatus(t.db, b.id)).toBe('confirmed');
  });

  it('the same callback delivered ten times at once: one inbox row, applied once', async () => {
    const b = await book({ make, quantity: 2 });
    const { id, phone } = await silentMomoPayment(b);
    const body = momoCallback(id, { status: 'SUCCESSFUL', amount: b.total, phone });
    const answers = await Promise.all(Array.from({ length: 10 }, () => putCallback(body)));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    expect(answers.filter((a) => a.body.duplicate === false)).toHaveLength(1);
    expect(answers.filter((a) => a.body.duplicate === true)).toHaveLength(9);
    expect(await settled(id)).toMatchObject({ status: 'succeeded', outcome: 'applied' });
    const rows = await until(() => processedEvents(id), (r) => r.every((e) => e.status === 'processed'));
    expect(rows).toHaveLength(1);
    const postings = await t.db.selectFrom('ledger_transactions').select('kind').where('reference_id', '=', id).execute();
    expect(new Set(postings.map((x) => x.kind)).size).toBe(postings.length); // no kind posted twice
    expect(await counts(t.db, b.ticketTypeId)).toMatchObject({ held: 0, sold: 2 });
  });

  it('an unsigned callback is only a hint: a forged SUCCESSFUL for a rejected payment is checked with the provider and fails', async () => {
    const b = await book({ make });
    const { id, phone } = await silentMomoPayment(b, testPhone('451'));
    const forged = await putCallback(momoCallback(id, { status: 'SUCCESSFUL', amount: b.total, phone }));
    expect(forged.status).toBe(200);
    expect(await settled(id)).toMatchObject({ status: 'failed', failure_reason: 'APPROVAL_REJECTED' });
    expect(await bookingStatus(t.db, b.id)).toBe('pending');
  });

  it('refuses bad webhooks: unknown provider 404, a MoMo body naming nothing 400, nothing stored', async () => {
    const before = (await sql<{ n: number }>`select count(*)::int as n from webhook_events`.execute(t.db)).rows[0]!.n;
    const unknown = await fetch(`${base}/api/v1/webhooks/paypal`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(unknown.status).toBe(404);
    const junk = await fetch(`${base}/api/v1/webhooks/momo`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"status":"SUCCESSFUL"}' });
    expect(junk.status).toBe(400);
    expect(((await junk.json()) as { code: string }).code).toBe('invalid_webhook');
    const notJson = await fetch(`${base}/api/v1/webhooks/momo`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    expect(notJson.status).toBe(400);
    expect((await sql<{ n: number }>`select count(*)::int as n from webhook_events`.execute(t.db)).rows[0]!.n).toBe(before);
  });
});

describe('card payments through Stripe', () => {
  async function cardPayment() {
    const b = await book({ make, quantity: 1 });
    const res = await pay(b.id, b.token, { method: 'card' });
    expect(res.statusCode, res.body).toBe(201);
    const p = res.json();
    expect(p).toMatchObject({ status: 'pending', method: 'card', provider: 'stripe' });
    expect(p.nextAction).toMatchObject({ type: 'confirm_card', clientSecret: expect.stringMatching(/^pi_.*_secret_/) });
    const row = await paymentRow(t.db, p.id);
    return { b, id: p.id as string, intentId: row.provider_ref! };
  }

  async function postStripe(e: { payload: string; signature?: string }) {
    const res = await fetch(`${base}/api/v1/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(e.signature !== undefined ? { 'stripe-signature': e.signature } : {}) },
      body: e.payload,
    });
    return { status: res.status, body: (await res.json()) as { code?: string; duplicate?: boolean } };
  }

  it('events out of order: failed after succeeded changes nothing; failed then succeeded ends succeeded', async () => {
    const a = await cardPayment();
    const ev = { intentId: a.intentId, paymentId: a.id, amount: a.b.total, currency: 'RWF' };
    expect((await postStripe(stripeEvent({ ...ev, type: 'payment_intent.succeeded' }))).status).toBe(200);
    await settled(a.id);
    expect((await postStripe(stripeEvent({ ...ev, type: 'payment_intent.payment_failed' }))).status).toBe(200);
    await until(() => processedEvents(a.intentId), (r) => r.length === 2 && r.every((e) => e.status === 'processed'));
    expect(await paymentRow(t.db, a.id)).toMatchObject({ status: 'succeeded', outcome: 'applied', failure_reason: null });
    expect(await bookingStatus(t.db, a.b.id)).toBe('confirmed');

    const c = await cardPayment();
    const ev2 = { intentId: c.intentId, paymentId: c.id, amount: c.b.total, currency: 'RWF' };
    await postStripe(stripeEvent({ ...ev2, type: 'payment_intent.payment_failed' }));
    expect(await settled(c.id)).toMatchObject({ status: 'failed', failure_reason: 'insufficient_funds' });
    await postStripe(stripeEvent({ ...ev2, type: 'payment_intent.succeeded' }));
    expect(await until(() => paymentRow(t.db, c.id), (p) => p.status === 'succeeded')).toMatchObject({ outcome: 'applied' });
    expect(await bookingStatus(t.db, c.b.id)).toBe('confirmed');
  });

  it('a redelivered Stripe event answers 200 duplicate and is applied once', async () => {
    const a = await cardPayment();
    const e = stripeEvent({ type: 'payment_intent.succeeded', intentId: a.intentId, paymentId: a.id, amount: a.b.total, currency: 'RWF' });
    const first = await postStripe(e);
    const second = await postStripe(e);
    expect([first.body.duplicate, second.body.duplicate]).toEqual([false, true]);
    expect(await settled(a.id)).toMatchObject({ status: 'succeeded', outcome: 'applied' });
  });

  it('forged or missing signature → 401 invalid_signature, counted, nothing stored or applied', async () => {
    const a = await cardPayment();
    const forged = stripeEvent({ type: 'payment_intent.succeeded', intentId: a.intentId, paymentId: a.id, amount: a.b.total, currency: 'RWF', secret: 'whsec_not_ours' });
    const missing = { payload: forged.payload };
    const tampered = { payload: forged.payload.replace('"amount":5000', '"amount":1'), signature: stripeEvent({ type: 'payment_intent.succeeded', intentId: a.intentId, paymentId: a.id, amount: a.b.total, currency: 'RWF' }).signature };
    const before = await t.ctx.metrics.webhooksReceived.get();
    const bad = (v: typeof before) => v.values.find((x) => x.labels.provider === 'stripe' && x.labels.result === 'bad_signature')?.value ?? 0;
    for (const e of [forged, missing, tampered]) {
      const r = await postStripe(e);
      expect(r.status).toBe(401);
      expect(r.body.code).toBe('invalid_signature');
    }
    expect(bad(await t.ctx.metrics.webhooksReceived.get()) - bad(before)).toBe(3);
    expect(await processedEvents(a.intentId)).toEqual([]);
    expect((await paymentRow(t.db, a.id)).status).toBe('pending');
    // Let it time out so the run leaves nothing pending.
    expect(await settled(a.id, (TIMEOUT_S + 10) * 1000)).toMatchObject({ status: 'failed', failure_reason: 'timeout' });
  });
});

describe('success after the hold expired', () => {
  it('inventory still there: re-taken and confirmed', async () => {
    const b = await book({ make, capacity: 5, quantity: 2 });
    const { id, phone } = await silentMomoPayment(b);
    await t.db.updateTable('bookings').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', b.id).execute();
    expect(await t.ctx.bookings.expire(b.id)).toBe(true);
    expect(await counts(t.db, b.ticketTypeId)).toMatchObject({ held: 0, sold: 0 });
    // Too late to start a payment now.
    const refused = await pay(b.id, b.token, { method: 'momo', phone });
    expect(refused.json()).toMatchObject({ status: 409, code: 'booking_not_pending', bookingStatus: 'expired' });

    await putCallback(momoCallback(id, { status: 'SUCCESSFUL', amount: b.total, phone }));
    const p = await settled(id);
    expect(p).toMatchObject({ status: 'succeeded', outcome: 'applied' });
    expect(p.outcome_reason).toMatch(/re-taken/);
    expect(await bookingStatus(t.db, b.id)).toBe('confirmed');
    expect(await counts(t.db, b.ticketTypeId)).toMatchObject({ held: 0, sold: 2 });
  });

  it('inventory gone: refunded automatically (late_payment), the booking stays expired, nothing oversold', async () => {
    const b = await book({ make, capacity: 2, quantity: 2 });
    const { id, phone } = await silentMomoPayment(b);
    await t.db.updateTable('bookings').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', b.id).execute();
    expect(await t.ctx.bookings.expire(b.id)).toBe(true);
    const other = await book({ make, ticketTypeId: b.ticketTypeId, eventId: b.eventId, quantity: 2 });

    await putCallback(momoCallback(id, { status: 'SUCCESSFUL', amount: b.total, phone }));
    const p = await settled(id);
    expect(p).toMatchObject({ status: 'succeeded', outcome: 'refunded_late' });
    expect(p.outcome_reason).toMatch(/inventory is gone/);
    expect(await bookingStatus(t.db, b.id)).toBe('expired');
    expect(await bookingStatus(t.db, other.id)).toBe('pending');
    expect(await counts(t.db, b.ticketTypeId)).toMatchObject({ held: 2, sold: 0, capacity: 2 });
    const refunds = await t.db.selectFrom('refunds').select(['reason', 'amount']).where('payment_id', '=', id).execute();
    expect(refunds).toEqual([{ reason: 'late_payment', amount: b.total }]);
  });
});

describe('double payment', () => {
  it('two successful payments for one booking: one applied, the other refunded automatically (duplicate_payment)', async () => {
    const b = await book({ make, quantity: 1 });
    const one = await silentMomoPayment(b);
    const two = await silentMomoPayment(b);
    await Promise.all([
      putCallback(momoCallback(one.id, { status: 'SUCCESSFUL', amount: b.total, phone: one.phone })),
      putCallback(momoCallback(two.id, { status: 'SUCCESSFUL', amount: b.total, phone: two.phone })),
    ]);
    const [p1, p2] = await Promise.all([settled(one.id), settled(two.id)]);
    expect([p1.outcome, p2.outcome].sort()).toEqual(['applied', 'refunded_duplicate']);
    const dup = p1.outcome === 'refunded_duplicate' ? p1 : p2;
    const refunds = await t.db.selectFrom('refunds').select(['reason', 'amount']).where('payment_id', '=', dup.id).execute();
    expect(refunds).toEqual([{ reason: 'duplicate_payment', amount: b.total }]);
    expect(await bookingStatus(t.db, b.id)).toBe('confirmed');
    expect(await counts(t.db, b.ticketTypeId)).toMatchObject({ held: 0, sold: 1 });
  });
});

describe('creating payments: access and refusals', () => {
  it('answers 401 without credentials, 404 to strangers, 409 hold_expired, 422 for a method with no provider, 400 for a bad phone', async () => {
    const b = await book({ make });
    expect((await pay(b.id, undefined, { method: 'momo' })).statusCode).toBe(401);
    const stranger = await make.user();
    expect((await pay(b.id, undefined, { method: 'momo' }, { auth: stranger.auth })).json()).toMatchObject({ status: 404, code: 'booking_not_found' });
    expect((await pay(b.id, 'wrong-token', { method: 'momo' })).statusCode).toBe(404);
    const badPhone = await pay(b.id, b.token, { method: 'momo', phone: '+2507' });
    expect(badPhone.json()).toMatchObject({ status: 400, code: 'validation_failed', errors: [{ field: 'phone' }] });
    expect((await pay(b.id, b.token, { method: 'card', phone: '+250788123456' })).statusCode).toBe(400);

    const kes = await book({ make, currency: 'KES' });
    expect((await pay(kes.id, kes.token, { method: 'momo' })).json()).toMatchObject({ status: 422, code: 'payment_method_unavailable' });

    await t.db.updateTable('bookings').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', b.id).execute();
    expect((await pay(b.id, b.token, { method: 'momo' })).json()).toMatchObject({ status: 409, code: 'hold_expired' });
    expect(await t.ctx.bookings.expire(b.id)).toBe(true);
  });

  it('a signed-in buyer pays without a token (default phone: the booking’s); organizer members read it with the fraud score; others get 404', async () => {
    const buyer = await make.user();
    const { ticketType, event } = await make.ticketType({ capacity: 5 });
    touched.add(ticketType.id);
    const created = await t.app.inject({
      method: 'POST', url: '/api/v1/bookings', headers: { ...buyer.auth, 'idempotency-key': newKey() },
      payload: { eventId: event.id, items: [{ ticketTypeId: ticketType.id, quantity: 1 }], buyer: { name: 'B', email: `x-${newKey()}@example.test`, phone: testPhone() } },
    });
    const bookingId = created.json().id;
    const res = await pay(bookingId, undefined, { method: 'momo' }, { auth: buyer.auth });
    expect(res.statusCode, res.body).toBe(201);
    const id = res.json().id;
    expect(res.json().payerPhone).toBe(created.json().buyer.phone);
    const member = await make.member({ organizerId: event.organizer_id, role: 'gate' });
    const seen = await t.app.inject({ url: `/api/v1/payments/${id}`, headers: member.auth });
    expect(seen.statusCode, seen.body).toBe(200);
    expect(seen.json().fraud).toMatchObject({ score: expect.any(Number), reasons: expect.any(Array) });
    const other = await make.user();
    expect((await t.app.inject({ url: `/api/v1/payments/${id}`, headers: other.auth })).statusCode).toBe(404);
    expect((await t.app.inject({ url: `/api/v1/payments/${id}` })).statusCode).toBe(401);
    await settled(id);
  });
});

describe('fraud checks', () => {
  async function history(b: { id: string; total: number }, phone: string, n: number) {
    for (let i = 0; i < n; i++) {
      await t.db.insertInto('payments').values({
        booking_id: b.id, method: 'momo', provider: 'momo', status: 'failed', failure_reason: 'APPROVAL_REJECTED',
        amount: b.total, currency: 'RWF', payer_phone: phone, failed_at: new Date(),
      }).execute();
    }
  }

  it('above the block score: 403 payment_blocked, recorded as failed (blocked), the provider never called', async () => {
    const b = await book({ make });
    const phone = testPhone();
    await history(b, phone, 6);
    const res = await pay(b.id, b.token, { method: 'momo', phone });
    expect(res.statusCode, res.body).toBe(403);
    const body = res.json();
    expect(body).toMatchObject({ code: 'payment_blocked', paymentId: expect.any(String) });
    expect(body.fraudScore).toBeGreaterThan(80);
    const row = await paymentRow(t.db, body.paymentId);
    expect(row).toMatchObject({ status: 'failed', failure_reason: 'blocked', fraud_score: body.fraudScore });
    expect(row.fraud_reasons.map((r) => r.code)).toEqual(expect.arrayContaining(['phone_velocity', 'phone_failures']));
    const { rows } = await sql`select 1 from sandbox_momo_transactions where reference_id = ${body.paymentId}::uuid`.execute(t.db);
    expect(rows).toEqual([]);
    expect(await bookingStatus(t.db, b.id)).toBe('pending');
  });

  it('between the review and block scores: allowed and flagged; admins list and resolve it once', async () => {
    const b = await book({ make });
    const phone = testPhone();
    await history(b, phone, 3);
    const res = await pay(b.id, b.token, { method: 'momo', phone });
    expect(res.statusCode, res.body).toBe(201);
    const id = res.json().id;
    expect(res.json().reviewStatus).toBe('pending');
    const row = await paymentRow(t.db, id);
    expect(row.fraud_score).toBeGreaterThanOrEqual(50);
    expect(row.fraud_score).toBeLessThanOrEqual(80);

    const admin = await make.admin();
    const buyer = await make.user();
    expect((await t.app.inject({ url: '/api/v1/admin/payments/flagged', headers: buyer.auth })).statusCode).toBe(403);
    const flagged = await t.app.inject({ url: '/api/v1/admin/payments/flagged?limit=100', headers: admin.auth });
    expect(flagged.statusCode).toBe(200);
    expect(flagged.json().items.find((p: { id: string }) => p.id === id)).toMatchObject({ reviewStatus: 'pending', fraud: { score: row.fraud_score } });

    const review = (decision: string) => t.app.inject({ method: 'POST', url: `/api/v1/admin/payments/${id}/review`, headers: admin.auth, payload: { decision, note: 'known buyer' } });
    const approved = await review('approve');
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json()).toMatchObject({ reviewStatus: 'approved', refundRecommended: false, fraud: { reviewNote: 'known buyer' } });
    expect((await review('reject')).json()).toMatchObject({ status: 409, code: 'review_not_pending' });
    const audit = await t.db.selectFrom('audit_log').select(['action', 'actor_user_id']).where('target_id', '=', id).execute();
    expect(audit).toEqual([{ action: 'payment.review_resolved', actor_user_id: admin.id }]);
    await settled(id);
  });
});

describe('a provider that is down', () => {
  /** A second server whose momo providers are [momo_dead (nothing listens), momo (the sandbox)]; the first also takes KES. */
  let app2: FastifyInstance;
  let close2: () => Promise<void>;
  beforeAll(async () => {
    const config = testConfig({}, { PORT: '0', SANDBOX_CONFIRM_DELAY_MS: '150', PAYMENT_BREAKER_VOLUME: '2', PAYMENT_BREAKER_RESET_MS: '60000' });
    const handle = createDb(config.DATABASE_URL!, { max: 5 });
    const log = pino({ level: 'silent' });
    const ctx = createContext(config, handle.db, log);
    const dead = new MomoProvider({
      name: 'momo_dead', baseUrl: `http://127.0.0.1:${await deadPort()}`, collection: { apiUser: 'u', apiKey: 'k', subscriptionKey: 's' },
      targetEnvironment: 'sandbox', currencies: ['RWF', 'KES'], timeoutMs: 1000,
    });
    ctx.paymentProviders = createPaymentProviders({ ...config, PAYMENT_PROVIDERS_MOMO: 'momo_dead,momo' }, log, [dead]);
    ctx.payments = new PaymentsService({ ...ctx, paymentProviders: ctx.paymentProviders });
    app2 = await buildApp({ ctx, logger: log });
    await app2.listen({ port: 0, host: '127.0.0.1' });
    close2 = async () => {
      await app2.close();
      await handle.close();
    };
  });
  afterAll(async () => {
    await close2?.();
  });

  const pay2 = (b: { id: string; token: string }, body: Record<string, unknown>) =>
    app2.inject({ method: 'POST', url: `/api/v1/bookings/${b.id}/payments`, remoteAddress: randomIp(), headers: { 'idempotency-key': newKey(), 'x-booking-token': b.token }, payload: body });

  it('fails over to the next provider; the breaker opens and shows in /health/detailed; payments still succeed', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const b = await book({ make });
      const res = await pay2(b, { method: 'momo', phone: testPhone() });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json().provider).toBe('momo');
      ids.push(res.json().id);
    }
    const admin = await make.admin();
    const health = await app2.inject({ url: '/health/detailed', headers: admin.auth });
    expect(health.statusCode, health.body).toBe(200);
    expect(health.json().status).toBe('degraded');
    expect(health.json().providers).toEqual(expect.arrayContaining([
      expect.objectContaining({ name: 'momo_dead', state: 'open' }),
      expect.objectContaining({ name: 'momo', state: 'closed' }),
    ]));
    for (const id of ids) expect(await settled(id)).toMatchObject({ status: 'succeeded', outcome: 'applied', provider: 'momo' });
  });

  it('every provider for the method and currency down → 503 provider_unavailable with Retry-After; the payment is failed, the booking still pending', async () => {
    const b = await book({ make, currency: 'KES' });
    const res = await pay2(b, { method: 'momo', phone: testPhone() });
    expect(res.statusCode, res.body).toBe(503);
    expect(res.headers['retry-after']).toBeDefined();
    const body = res.json();
    expect(body).toMatchObject({ code: 'provider_unavailable', paymentId: expect.any(String) });
    expect(await paymentRow(t.db, body.paymentId)).toMatchObject({ status: 'failed', failure_reason: 'provider_unavailable' });
    expect(await bookingStatus(t.db, b.id)).toBe('pending');
  });
});
