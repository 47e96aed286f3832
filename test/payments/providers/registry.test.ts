import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, testConfig, type TestApp } from '../../helpers/testApp.js';
import { MomoProvider } from '../../../src/modules/payments/providers/momo.js';
import { ProviderRegistry, type BreakerSettings } from '../../../src/modules/payments/providers/registry.js';
import { createPaymentProviders } from '../../../src/modules/payments/providers/index.js';
import { StripeProvider } from '../../../src/modules/payments/providers/stripe.js';
import { deadPort, localServer, testPhone, until, uuid } from './support.js';

/** Failover and circuit breakers, with real adapters against a down server and the live sandbox. */
let t: TestApp;
let sandboxUrl: string;
let down: Awaited<ReturnType<typeof localServer>>;
let payerNotFound: Awaited<ReturnType<typeof localServer>>;

beforeAll(async () => {
  t = await testApp({}, { SANDBOX_CONFIRM_DELAY_MS: '100', PORT: '0' });
  sandboxUrl = `${await t.app.listen({ port: 0, host: '127.0.0.1' })}/sandbox/momo`;
  // A MoMo that is down: every call, token included, answers 500.
  down = await localServer((_r, res) => res.writeHead(500, { 'content-type': 'text/html' }).end('<h1>Bad gateway</h1>'));
  // A MoMo that is up but refuses this payer synchronously.
  payerNotFound = await localServer((r, res) => {
    if (r.url.endsWith('/token/')) return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: 't', token_type: 'access_token', expires_in: 3600 }));
    res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'PAYER_NOT_FOUND', message: 'Payer not found' }));
  });
});
afterAll(async () => {
  await t.close();
  await down.close();
  await payerNotFound.close();
});

function momo(name: string, baseUrl: string) {
  return new MomoProvider({
    name,
    baseUrl,
    collection: { apiUser: 'u', apiKey: 'k', subscriptionKey: 's' },
    targetEnvironment: 'sandbox',
    currencies: ['RWF'],
    timeoutMs: 1000,
  });
}

const breaker: BreakerSettings = { errorThresholdPercentage: 50, volumeThreshold: 3, resetTimeout: 400 };
const input = (suffix = '123') => ({ paymentId: uuid(), amount: 1000, currency: 'RWF', payerPhone: testPhone(suffix), description: 'Tickets' });

describe('failover', () => {
  it('a provider answering 500 → the payment goes to the next one, which really takes it', async () => {
    const reg = new ProviderRegistry([momo('momo_a', down.url), momo('momo_b', sandboxUrl)], { momo: ['momo_a', 'momo_b'], card: [] }, breaker);
    const pay = input();
    const res = await reg.initiateWithFailover('momo', 'RWF', pay);
    expect(res).toMatchObject({ provider: 'momo_b', providerRef: pay.paymentId, skipped: [{ provider: 'momo_a', code: 'provider_unavailable' }] });
    expect(await until(() => reg.getStatus('momo_b', pay.paymentId), (s) => s.status !== 'pending')).toMatchObject({ status: 'succeeded' });
  });

  it('connection refused → the next provider', async () => {
    const reg = new ProviderRegistry([momo('momo_a', `http://127.0.0.1:${await deadPort()}`), momo('momo_b', sandboxUrl)], { momo: ['momo_a', 'momo_b'], card: [] }, breaker);
    expect(await reg.initiateWithFailover('momo', 'RWF', input())).toMatchObject({ provider: 'momo_b' });
  });

  it('every provider down → provider_unavailable (503, Retry-After) naming what was tried', async () => {
    const reg = new ProviderRegistry([momo('momo_a', down.url), momo('momo_b', `http://127.0.0.1:${await deadPort()}`)], { momo: ['momo_a', 'momo_b'], card: [] }, breaker);
    const err = await reg.initiateWithFailover('momo', 'RWF', input()).catch((e) => e);
    expect(err).toMatchObject({ code: 'provider_unavailable', status: 503, headers: { 'retry-after': '5' } });
    expect(err.details.tried.map((x: { provider: string }) => x.provider)).toEqual(['momo_a', 'momo_b']);
  });

  it('no provider for the method or currency → payment_method_unavailable', async () => {
    const reg = new ProviderRegistry([momo('momo', sandboxUrl)], { momo: ['momo'], card: [] }, breaker);
    await expect(reg.initiateWithFailover('momo', 'KES', input())).rejects.toMatchObject({ code: 'payment_method_unavailable', status: 422 });
    await expect(reg.initiateWithFailover('card', 'RWF', input())).rejects.toMatchObject({ code: 'payment_method_unavailable' });
  });
});

describe('circuit breaker', () => {
  it('opens after repeated outages: later payments skip the provider without calling it, then it recovers', async () => {
    let healthy = false;
    const flaky = await localServer((r, res) => {
      if (!healthy) return res.writeHead(503).end();
      if (r.url.endsWith('/token/')) return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: 't', token_type: 'access_token', expires_in: 3600 }));
      res.writeHead(202).end();
    });
    try {
      const reg = new ProviderRegistry([momo('momo_a', flaky.url), momo('momo_b', sandboxUrl)], { momo: ['momo_a', 'momo_b'], card: [] }, breaker);
      for (let i = 0; i < 3; i++) expect(await reg.initiateWithFailover('momo', 'RWF', input())).toMatchObject({ provider: 'momo_b' });
      expect(reg.breakerStates().find((b) => b.provider === 'momo_a')).toMatchObject({ state: 'open', stats: { failures: 3 } });
      expect(reg.breakerStates().find((b) => b.provider === 'momo_b')).toMatchObject({ state: 'closed' });

      const calls = flaky.received.length;
      const res = await reg.initiateWithFailover('momo', 'RWF', input());
      expect(res).toMatchObject({ provider: 'momo_b', skipped: [{ provider: 'momo_a', code: 'circuit_open' }] });
      expect(flaky.received.length).toBe(calls);
      // Calls about an existing momo_a payment answer fast too.
      await expect(reg.getStatus('momo_a', uuid())).rejects.toMatchObject({ code: 'provider_unavailable', details: { cause: 'circuit open' } });
      expect(flaky.received.length).toBe(calls);

      healthy = true;
      await new Promise((r) => setTimeout(r, breaker.resetTimeout + 100));
      expect(reg.breakerStates().find((b) => b.provider === 'momo_a')!.state).toBe('half_open');
      expect(await reg.initiateWithFailover('momo', 'RWF', input())).toMatchObject({ provider: 'momo_a', skipped: [] });
      expect(reg.breakerStates().find((b) => b.provider === 'momo_a')!.state).toBe('closed');
    } finally {
      await flaky.close();
    }
  });

  it('a business refusal (payer not found) is not an outage: no failover, breaker stays closed', async () => {
    const reg = new ProviderRegistry([momo('momo_a', payerNotFound.url), momo('momo_b', sandboxUrl)], { momo: ['momo_a', 'momo_b'], card: [] }, breaker);
    for (let i = 0; i < 6; i++) {
      await expect(reg.initiateWithFailover('momo', 'RWF', input())).rejects.toMatchObject({ code: 'provider_rejected', details: { provider: 'momo_a', reason: 'PAYER_NOT_FOUND' } });
    }
    const states = Object.fromEntries(reg.breakerStates().map((b) => [b.provider, b]));
    expect(states.momo_a).toMatchObject({ state: 'closed', stats: { failures: 0 } });
    expect(states.momo_b!.stats.fires).toBe(0);
  });

  it('the sandbox …455 payer fails the payment, not the provider', async () => {
    const reg = new ProviderRegistry([momo('momo', sandboxUrl)], { momo: ['momo'], card: [] }, breaker);
    for (let i = 0; i < 4; i++) {
      const pay = input('455');
      await reg.initiateWithFailover('momo', 'RWF', pay);
      expect(await until(() => reg.getStatus('momo', pay.paymentId), (s) => s.status !== 'pending')).toMatchObject({ status: 'failed', reason: 'PAYER_NOT_FOUND' });
    }
    expect(reg.breakerStates()[0]).toMatchObject({ state: 'closed', stats: { failures: 0 } });
  });
});

describe('registry from configuration', () => {
  it('defaults: momo on the built-in sandbox, no card provider without a Stripe key', () => {
    const reg = createPaymentProviders(testConfig());
    expect(reg.all().map((p) => p.name)).toEqual(['momo']);
    expect((reg.get('momo') as MomoProvider).usesLocalSandbox).toBe(true);
    expect(reg.accepts('momo', 'RWF')).toBe(true);
    expect(reg.accepts('card', 'RWF')).toBe(false);
    expect(reg.breakerStates()).toEqual([{ provider: 'momo', methods: ['momo'], state: 'closed', stats: expect.any(Object) }]);
    expect(() => reg.get('paypal')).toThrow(expect.objectContaining({ code: 'payment_provider_not_found', status: 404 }));
  });

  it('stripe joins with a key; order and unknown names come from PAYMENT_PROVIDERS_*', () => {
    const reg = createPaymentProviders(testConfig({}, { STRIPE_SECRET_KEY: 'sk_test_x', PAYMENT_PROVIDERS_CARD: 'stripe' }));
    expect(reg.get('stripe')).toBeInstanceOf(StripeProvider);
    expect(reg.candidates('card', 'RWF').map((p) => p.name)).toEqual(['stripe']);
    expect(() => createPaymentProviders(testConfig({}, { PAYMENT_PROVIDERS_MOMO: 'momo,mpesa' }))).toThrow(/PAYMENT_PROVIDERS_MOMO: unknown payment provider mpesa/);
    expect(() => createPaymentProviders(testConfig({}, { MOMO_BASE_URL: 'https://proxy.momoapi.mtn.com' }))).toThrow(/MOMO_API_USER/);
    expect(createPaymentProviders(testConfig({}, { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40) })).all()).toEqual([]);
  });
});
