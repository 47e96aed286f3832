import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Stripe from 'stripe';
import { StripeProvider } from '../../../src/modules/payments/providers/stripe.js';
import { localServer, uuid, type Received } from './support.js';

/**
 * The Stripe adapter's wire usage, against a local stand-in for api.stripe.com that answers like
 * Stripe (form-encoded requests, JSON objects, error envelopes), and its webhook verification
 * with signatures made by the SDK's own test helper.
 */
const SECRET = 'whsec_test_secret_for_tikiti';
let fake: Awaited<ReturnType<typeof localServer>>;
let provider: StripeProvider;
const intents = new Map<string, Record<string, unknown>>();

function form(body: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(body));
}

function stripeError(status: number, type: string, code: string, message: string) {
  return { status, body: { error: { type, code, message } } };
}

function answer(r: Received): { status: number; body: unknown } {
  if (r.headers.authorization === 'Bearer sk_test_revoked') return stripeError(401, 'invalid_request_error', 'api_key_expired', 'Expired API Key provided');
  if (r.method === 'POST' && r.url === '/v1/payment_intents') {
    const f = form(r.body);
    if (f.amount === '13') return stripeError(402, 'card_error', 'card_declined', 'Your card was declined.');
    if (f.amount === '500500') return { status: 500, body: { error: { type: 'api_error', message: 'boom' } } };
    const id = `pi_${uuid().replace(/-/g, '').slice(0, 24)}`;
    const pi = {
      id,
      object: 'payment_intent',
      amount: Number(f.amount),
      currency: f.currency,
      status: 'requires_payment_method',
      client_secret: `${id}_secret_abc`,
      last_payment_error: null,
      metadata: { paymentId: f['metadata[paymentId]'] },
    };
    intents.set(id, pi);
    return { status: 200, body: pi };
  }
  const get = /^\/v1\/payment_intents\/([^/?]+)/.exec(r.url);
  if (r.method === 'GET' && get) {
    const pi = intents.get(get[1]!);
    return pi ? { status: 200, body: pi } : stripeError(404, 'invalid_request_error', 'resource_missing', 'No such payment_intent');
  }
  if (r.method === 'POST' && r.url === '/v1/refunds') {
    const f = form(r.body);
    return { status: 200, body: { id: 're_123', object: 'refund', amount: Number(f.amount), status: 'pending', payment_intent: f.payment_intent, metadata: { refundId: f['metadata[refundId]'] } } };
  }
  return stripeError(404, 'invalid_request_error', 'resource_missing', `Unrecognized request URL (${r.method}: ${r.url})`);
}

beforeAll(async () => {
  fake = await localServer((r, res) => {
    const a = answer(r);
    res.writeHead(a.status, { 'content-type': 'application/json', 'request-id': 'req_test' }).end(JSON.stringify(a.body));
  });
  provider = new StripeProvider({ secretKey: 'sk_test_tikiti', webhookSecret: SECRET, apiBase: fake.url, timeoutMs: 2000, maxNetworkRetries: 0, publishableKey: 'pk_test_x' });
});
afterAll(async () => {
  await fake.close();
});

describe('stripe adapter on the wire', () => {
  it('creates a PaymentIntent in minor units with automatic payment methods, metadata and our payment id as idempotency key', async () => {
    const paymentId = uuid();
    const res = await provider.initiate({ paymentId, amount: 5000, currency: 'RWF', description: 'Tikiti: 2 tickets' });
    const req = fake.received.at(-1)!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/v1/payment_intents');
    expect(req.headers.authorization).toBe('Bearer sk_test_tikiti');
    expect(req.headers['idempotency-key']).toBe(paymentId);
    expect(req.headers['content-type']).toContain('application/x-www-form-urlencoded');
    expect(form(req.body)).toEqual({
      amount: '5000',
      currency: 'rwf',
      'automatic_payment_methods[enabled]': 'true',
      description: 'Tikiti: 2 tickets',
      'metadata[paymentId]': paymentId,
    });
    expect(res).toMatchObject({
      status: 'pending',
      providerRef: expect.stringMatching(/^pi_/),
      clientSecret: expect.stringContaining('_secret_'),
      nextAction: { type: 'confirm_card', clientSecret: expect.stringContaining('_secret_'), publishableKey: 'pk_test_x' },
    });
  });

  it('retrieves a PaymentIntent for its status; maps succeeded, failed attempts and cancellations', async () => {
    const { providerRef } = await provider.initiate({ paymentId: uuid(), amount: 1050, currency: 'EUR', description: 'x' });
    expect(form(fake.received.at(-1)!.body).amount).toBe('1050');
    expect((await provider.getStatus(providerRef)).status).toBe('pending');
    expect(fake.received.at(-1)).toMatchObject({ method: 'GET', url: `/v1/payment_intents/${providerRef}` });
    intents.get(providerRef)!.last_payment_error = { code: 'card_declined', decline_code: 'insufficient_funds' };
    expect(await provider.getStatus(providerRef)).toMatchObject({ status: 'failed', reason: 'insufficient_funds' });
    intents.get(providerRef)!.status = 'succeeded';
    expect(await provider.getStatus(providerRef)).toMatchObject({ status: 'succeeded' });
    await expect(provider.getStatus('pi_missing')).rejects.toMatchObject({ code: 'provider_ref_not_found' });
  });

  it('refunds with the refund id as idempotency key', async () => {
    const [paymentId, refundId] = [uuid(), uuid()];
    const res = await provider.refund({ paymentId, refundId, providerRef: 'pi_abc', amount: 2000, currency: 'RWF', note: 'event cancelled' });
    const req = fake.received.at(-1)!;
    expect(req.url).toBe('/v1/refunds');
    expect(req.headers['idempotency-key']).toBe(refundId);
    expect(form(req.body)).toMatchObject({ payment_intent: 'pi_abc', amount: '2000', 'metadata[refundId]': refundId, 'metadata[paymentId]': paymentId });
    expect(res).toEqual({ status: 'pending', providerRef: 're_123' });
  });

  it('maps errors: declined card → provider_rejected; 5xx → provider_unavailable; bad key → provider_misconfigured', async () => {
    await expect(provider.initiate({ paymentId: uuid(), amount: 13, currency: 'EUR', description: 'x' })).rejects.toMatchObject({ code: 'provider_rejected', details: { reason: 'card_declined' } });
    await expect(provider.initiate({ paymentId: uuid(), amount: 500500, currency: 'EUR', description: 'x' })).rejects.toMatchObject({ code: 'provider_unavailable', details: { outage: true } });
    const revoked = new StripeProvider({ secretKey: 'sk_test_revoked', apiBase: fake.url, timeoutMs: 2000, maxNetworkRetries: 0 });
    await expect(revoked.initiate({ paymentId: uuid(), amount: 100, currency: 'EUR', description: 'x' })).rejects.toMatchObject({ code: 'provider_misconfigured', details: { outage: true } });
    const down = new StripeProvider({ secretKey: 'sk_test_x', apiBase: 'http://127.0.0.1:1', timeoutMs: 500, maxNetworkRetries: 0 });
    await expect(down.initiate({ paymentId: uuid(), amount: 100, currency: 'EUR', description: 'x' })).rejects.toMatchObject({ code: 'provider_unavailable' });
  });
});

describe('stripe webhooks', () => {
  const stripe = new Stripe('sk_test_unused');
  const event = (type: string, object: Record<string, unknown>) => JSON.stringify({ id: `evt_${uuid().slice(0, 8)}`, object: 'event', type, data: { object }, created: 1, livemode: false, api_version: '2025-01-01' });
  const sign = (payload: string, opts: { secret?: string; timestamp?: number } = {}) =>
    stripe.webhooks.generateTestHeaderString({ payload, secret: opts.secret ?? SECRET, ...(opts.timestamp ? { timestamp: opts.timestamp } : {}) });

  it('accepts a correctly signed event and maps it', () => {
    const paymentId = uuid();
    const payload = event('payment_intent.succeeded', { id: 'pi_1', object: 'payment_intent', status: 'succeeded', metadata: { paymentId } });
    const ev = provider.verifyWebhook({ headers: { 'stripe-signature': sign(payload) }, rawBody: Buffer.from(payload) });
    expect(ev).toMatchObject({ eventId: JSON.parse(payload).id, type: 'payment', providerType: 'payment_intent.succeeded', providerRef: 'pi_1', paymentId, status: 'succeeded', verified: true });
  });

  it.each([
    ['payment_intent.payment_failed', { id: 'pi_2', object: 'payment_intent', status: 'requires_payment_method', last_payment_error: { code: 'card_declined' }, metadata: {} }, { type: 'payment', providerRef: 'pi_2', status: 'failed', reason: 'card_declined' }],
    ['refund.updated', { id: 're_1', object: 'refund', status: 'succeeded', payment_intent: 'pi_3', metadata: { refundId: 'r-1' } }, { type: 'refund', providerRef: 're_1', refundId: 'r-1', paymentProviderRef: 'pi_3', status: 'succeeded' }],
    ['refund.failed', { id: 're_2', object: 'refund', status: 'failed', failure_reason: 'expired_or_canceled_card', payment_intent: 'pi_3', metadata: {} }, { type: 'refund', providerRef: 're_2', status: 'failed', reason: 'expired_or_canceled_card' }],
    ['charge.refunded', { id: 'ch_1', object: 'charge', payment_intent: 'pi_4', refunded: true, metadata: {} }, { type: 'refund', providerRef: null, paymentProviderRef: 'pi_4', status: 'succeeded' }],
    ['customer.created', { id: 'cus_1', object: 'customer' }, { type: 'ignored', providerRef: null }],
  ])('%s', (type, object, expected) => {
    const payload = event(type, object);
    expect(provider.verifyWebhook({ headers: { 'stripe-signature': sign(payload) }, rawBody: payload })).toMatchObject(expected);
  });

  it('refuses forged, missing, stale and tampered signatures with invalid_signature (401)', () => {
    const payload = event('payment_intent.succeeded', { id: 'pi_1', object: 'payment_intent', status: 'succeeded', metadata: {} });
    const cases: [string, Record<string, string>, string][] = [
      ['forged', { 'stripe-signature': sign(payload, { secret: 'whsec_attacker' }) }, payload],
      ['missing', {}, payload],
      ['garbage', { 'stripe-signature': 'nonsense' }, payload],
      ['stale', { 'stripe-signature': sign(payload, { timestamp: Math.floor(Date.now() / 1000) - 600 }) }, payload],
      ['tampered', { 'stripe-signature': sign(payload) }, payload.replace('pi_1', 'pi_9')],
    ];
    for (const [name, headers, body] of cases) {
      expect(() => provider.verifyWebhook({ headers, rawBody: body }), name).toThrow(expect.objectContaining({ code: 'invalid_signature', status: 401 }));
    }
  });
});
