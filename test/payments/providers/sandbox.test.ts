import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import momo from 'mtn-momo';
import { testApp, type TestApp } from '../../helpers/testApp.js';
import { MomoProvider } from '../../../src/modules/payments/providers/momo.js';
import { localServer, testPhone, until, uuid } from './support.js';

/**
 * The built-in MoMo simulator, on a real listening server: driven by the third-party `mtn-momo`
 * client (proof that it speaks MoMo's wire protocol) and by our own momo provider.
 */
let t: TestApp;
let base: string;
let provider: MomoProvider;
let callbacks: Awaited<ReturnType<typeof localServer>>;

const DELAY = 200;
const SLOW = 1500;

beforeAll(async () => {
  t = await testApp({}, { SANDBOX_CONFIRM_DELAY_MS: String(DELAY), SANDBOX_SLOW_CONFIRM_DELAY_MS: String(SLOW), PORT: '0' });
  const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `${address}/sandbox/momo`;
  provider = t.ctx.paymentProviders.get('momo') as MomoProvider;
  callbacks = await localServer();
});
afterAll(async () => {
  await t.close();
  await callbacks.close();
});

function mtnClient() {
  const { Collections } = momo.create({ callbackHost: '127.0.0.1', baseUrl: base, environment: momo.Environment.SANDBOX });
  return Collections({ userId: uuid(), userSecret: 'any-secret', primaryKey: 'any-subscription-key' });
}

async function token(product = 'collection') {
  const res = await fetch(`${base}/${product}/token/`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from('user:key').toString('base64')}`, 'ocp-apim-subscription-key': 'k' },
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

async function rtp(headers: Record<string, string>, body: unknown) {
  return fetch(`${base}/collection/v1_0/requesttopay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

describe('the sandbox speaks MoMo (mtn-momo client)', () => {
  it('token → requestToPay → getTransaction: PENDING, then SUCCESSFUL after the delay', async () => {
    const collections = mtnClient();
    const partyId = testPhone('123').slice(1);
    const referenceId = await collections.requestToPay({
      amount: '5000',
      currency: 'RWF',
      externalId: 'order-1',
      payer: { partyIdType: momo.PayerType.MSISDN, partyId },
      payerMessage: 'Tikiti tickets',
      payeeNote: 'Tikiti',
    });
    expect(referenceId).toMatch(/^[0-9a-f-]{36}$/);
    const first = await collections.getTransaction(referenceId);
    expect(first).toMatchObject({ status: 'PENDING', amount: '5000', currency: 'RWF', externalId: 'order-1', payer: { partyIdType: 'MSISDN', partyId } });
    const done = await until(() => collections.getTransaction(referenceId), (tx) => tx.status === 'SUCCESSFUL');
    expect(done.financialTransactionId).toMatch(/^\d+$/);
    expect(await collections.isPayerActive(partyId)).toEqual({ result: true });
  });

  it("a rejected payer surfaces as mtn-momo's ApprovalRejectedError", async () => {
    const collections = mtnClient();
    const referenceId = await collections.requestToPay({
      amount: '10.50',
      currency: 'EUR',
      externalId: 'order-2',
      payer: { partyIdType: momo.PayerType.MSISDN, partyId: testPhone('451').slice(1) },
      payerMessage: 'x',
      payeeNote: 'y',
    });
    const err = await until(
      () => collections.getTransaction(referenceId).then(() => null, (e: Error) => e),
      (e) => e !== null,
    );
    expect(err).toBeInstanceOf(momo.ApprovalRejectedError);
  });

  it('answers 404 RESOURCE_NOT_FOUND for an unknown reference (mtn-momo maps it)', async () => {
    const err = await mtnClient().getTransaction(uuid()).catch((e: Error) => e);
    expect(err).toBeInstanceOf(momo.ResourceNotFoundError);
  });
});

describe('the sandbox validates like MoMo', () => {
  it('token: requires the subscription key and Basic credentials', async () => {
    const noKey = await fetch(`${base}/collection/token/`, { method: 'POST', headers: { authorization: 'Basic dXNlcjprZXk=' } });
    expect(noKey.status).toBe(401);
    expect(await noKey.json()).toMatchObject({ statusCode: 401 });
    const noAuth = await fetch(`${base}/collection/token/`, { method: 'POST', headers: { 'ocp-apim-subscription-key': 'k' } });
    expect(noAuth.status).toBe(401);
    expect(await noAuth.json()).toEqual({ error: 'login_failed' });
    const ok = await fetch(`${base}/collection/token/`, {
      method: 'POST',
      headers: { authorization: 'Basic dXNlcjprZXk=', 'ocp-apim-subscription-key': 'k' },
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ token_type: 'access_token', expires_in: 3600, access_token: expect.any(String) });
  });

  it('requesttopay: bearer, target environment, reference id, body; 202 with an empty body; 409 on a duplicate reference', async () => {
    const bearer = await token();
    const good = { authorization: `Bearer ${bearer}`, 'ocp-apim-subscription-key': 'k', 'x-target-environment': 'sandbox' };
    const body = { amount: '100', currency: 'RWF', externalId: 'e', payer: { partyIdType: 'MSISDN', partyId: '250788123456' }, payerMessage: 'm', payeeNote: 'n' };
    const ref = uuid();

    expect((await rtp({ ...good, authorization: 'Bearer forged.token', 'x-reference-id': ref }, body)).status).toBe(401);
    const disbursementToken = await token('disbursement');
    expect((await rtp({ ...good, authorization: `Bearer ${disbursementToken}`, 'x-reference-id': ref }, body)).status).toBe(401);
    const env = await rtp({ ...good, 'x-target-environment': 'mtnrwanda', 'x-reference-id': ref }, body);
    expect(env.status).toBe(403);
    expect(await env.json()).toMatchObject({ code: 'NOT_ALLOWED_TARGET_ENVIRONMENT' });
    expect((await rtp({ ...good, 'x-reference-id': 'not-a-uuid' }, body)).status).toBe(400);
    expect((await rtp(good, body)).status).toBe(400);
    for (const bad of [
      { ...body, amount: 100 },
      { ...body, amount: '-5' },
      { ...body, currency: 'rwf' },
      { ...body, payer: { partyIdType: 'MSISDN', partyId: '+250788123456' } },
      { ...body, payer: undefined },
    ]) {
      const res = await rtp({ ...good, 'x-reference-id': ref }, bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(((await res.json()) as { code: string }).code).toMatch(/^INVALID_/);
    }
    expect((await rtp({ ...good, 'x-reference-id': ref, 'x-callback-url': 'ftp://x' }, body)).status).toBe(400);

    const created = await rtp({ ...good, 'x-reference-id': ref }, body);
    expect(created.status).toBe(202);
    expect(await created.text()).toBe('');
    const dup = await rtp({ ...good, 'x-reference-id': ref }, body);
    expect(dup.status).toBe(409);
    expect(await dup.json()).toEqual({ code: 'RESOURCE_ALREADY_EXIST', message: expect.any(String) });
  });
});

describe('test numbers through the momo provider', () => {
  it('points the momo provider at this server once it listens', () => {
    expect(provider.usesLocalSandbox).toBe(true);
    expect(provider.base).toBe(base);
  });

  it.each([
    ['123', 'succeeded', undefined],
    ['450', 'failed', 'INTERNAL_PROCESSING_ERROR'],
    ['451', 'failed', 'APPROVAL_REJECTED'],
    ['452', 'failed', 'EXPIRED'],
    ['455', 'failed', 'PAYER_NOT_FOUND'],
  ])('payer …%s → %s %s', async (suffix, status, reason) => {
    const paymentId = uuid();
    const res = await provider.initiate({ paymentId, amount: 2500, currency: 'RWF', payerPhone: testPhone(suffix), description: 'Tickets' });
    expect(res).toMatchObject({ status: 'pending', providerRef: paymentId, nextAction: { type: 'approve_on_phone' } });
    expect((await provider.getStatus(paymentId)).status).toBe('pending');
    const final = await until(() => provider.getStatus(paymentId), (s) => s.status !== 'pending');
    expect(final.status).toBe(status);
    expect(final.reason).toBe(reason);
  });

  it('…453 stays pending; …454 is pending well past the normal delay, then succeeds', async () => {
    const stuck = uuid();
    const slow = uuid();
    await provider.initiate({ paymentId: stuck, amount: 100, currency: 'RWF', payerPhone: testPhone('453'), description: 'x' });
    await provider.initiate({ paymentId: slow, amount: 100, currency: 'RWF', payerPhone: testPhone('454'), description: 'x' });
    await new Promise((r) => setTimeout(r, DELAY * 3));
    expect((await provider.getStatus(stuck)).status).toBe('pending');
    expect((await provider.getStatus(slow)).status).toBe('pending');
    const done = await until(() => provider.getStatus(slow), (s) => s.status !== 'pending', SLOW * 4);
    expect(done.status).toBe('succeeded');
    expect((await provider.getStatus(stuck)).status).toBe('pending');
  });

  it('sends the amount in major units: EUR 1050 → "10.50"', async () => {
    const paymentId = uuid();
    await provider.initiate({ paymentId, amount: 1050, currency: 'EUR', payerPhone: testPhone('123'), description: 'x' });
    expect((await provider.getStatus(paymentId)).raw).toMatchObject({ amount: '10.50', currency: 'EUR', externalId: paymentId });
  });

  it('initiating the same payment twice is one request (409 from MoMo is read as "already requested")', async () => {
    const paymentId = uuid();
    const input = { paymentId, amount: 100, currency: 'RWF', payerPhone: testPhone('123'), description: 'x' };
    await provider.initiate(input);
    await expect(provider.initiate(input)).resolves.toMatchObject({ status: 'pending', providerRef: paymentId });
    const rows = await t.db.selectFrom('sandbox_momo_transactions').select('reference_id').where('reference_id', '=', paymentId).execute();
    expect(rows).toHaveLength(1);
  });

  it('an unknown reference is provider_ref_not_found', async () => {
    await expect(provider.getStatus(uuid())).rejects.toMatchObject({ code: 'provider_ref_not_found' });
  });
});

describe('callbacks', () => {
  it('PUTs the final status to X-Callback-Url once, unsigned, with the MoMo body; none for …453', async () => {
    const ok = uuid();
    const failed = uuid();
    const never = uuid();
    const before = callbacks.received.length;
    await provider.initiate({ paymentId: ok, amount: 700, currency: 'RWF', payerPhone: testPhone('200'), description: 'x', callbackUrl: `${callbacks.url}/cb/${ok}` });
    await provider.initiate({ paymentId: failed, amount: 700, currency: 'RWF', payerPhone: testPhone('452'), description: 'x', callbackUrl: `${callbacks.url}/cb/${failed}` });
    await provider.initiate({ paymentId: never, amount: 700, currency: 'RWF', payerPhone: testPhone('453'), description: 'x', callbackUrl: `${callbacks.url}/cb/${never}` });
    const got = (await callbacks.waitFor(before + 2)).slice(before);
    await new Promise((r) => setTimeout(r, DELAY * 2));
    expect(callbacks.received.length - before).toBe(2);
    const byUrl = Object.fromEntries(got.map((r) => [r.url, r]));
    const success = byUrl[`/cb/${ok}`]!;
    expect(success.method).toBe('PUT');
    expect(success.headers['content-type']).toContain('application/json');
    expect(JSON.parse(success.body)).toMatchObject({ externalId: ok, amount: '700', currency: 'RWF', status: 'SUCCESSFUL', financialTransactionId: expect.any(String), payer: { partyIdType: 'MSISDN' } });
    expect(JSON.parse(byUrl[`/cb/${failed}`]!.body)).toMatchObject({ externalId: failed, status: 'FAILED', reason: 'EXPIRED' });

    // The provider turns the callback into an unverified hint for the flow.
    const event = provider.verifyWebhook({ headers: success.headers, rawBody: Buffer.from(success.body) });
    expect(event).toMatchObject({ type: 'payment', providerRef: ok, paymentId: ok, status: 'succeeded', verified: false });
    // The same callback delivered again has the same event id (the inbox dedupes it).
    expect(provider.verifyWebhook({ headers: {}, rawBody: success.body }).eventId).toBe(event.eventId);
  });

  it('an unreachable callback URL does not affect the transaction', async () => {
    const paymentId = uuid();
    await provider.initiate({ paymentId, amount: 700, currency: 'RWF', payerPhone: testPhone('201'), description: 'x', callbackUrl: 'http://127.0.0.1:1/nowhere' });
    const final = await until(() => provider.getStatus(paymentId), (s) => s.status !== 'pending');
    expect(final.status).toBe('succeeded');
  });
});

describe('refunds (Disbursements)', () => {
  it('refunds a successful payment; refuses more than was paid; refuses unknown or failed payments', async () => {
    const paid = uuid();
    await provider.initiate({ paymentId: paid, amount: 3000, currency: 'RWF', payerPhone: testPhone('321'), description: 'x' });
    await until(() => provider.getStatus(paid), (s) => s.status === 'succeeded');

    const r1 = uuid();
    expect(await provider.refund({ paymentId: paid, refundId: r1, providerRef: paid, amount: 2000, currency: 'RWF' })).toEqual({ status: 'pending', providerRef: r1 });
    // Retried refund with the same id: still one refund.
    expect(await provider.refund({ paymentId: paid, refundId: r1, providerRef: paid, amount: 2000, currency: 'RWF' })).toEqual({ status: 'pending', providerRef: r1 });
    const s1 = await until(() => provider.getRefundStatus(r1), (s) => s.status !== 'pending');
    expect(s1.status).toBe('succeeded');
    expect(s1.raw).toMatchObject({ amount: '2000', currency: 'RWF', externalId: r1, status: 'SUCCESSFUL' });

    const r2 = uuid();
    await provider.refund({ paymentId: paid, refundId: r2, providerRef: paid, amount: 1001, currency: 'RWF' });
    expect(await until(() => provider.getRefundStatus(r2), (s) => s.status !== 'pending')).toMatchObject({ status: 'failed', reason: 'REFUND_AMOUNT_EXCEEDS_ORIGINAL' });

    const r3 = uuid();
    await provider.refund({ paymentId: paid, refundId: r3, providerRef: uuid(), amount: 1, currency: 'RWF' });
    expect(await until(() => provider.getRefundStatus(r3), (s) => s.status !== 'pending')).toMatchObject({ status: 'failed', reason: 'RESOURCE_NOT_FOUND' });
  });
});
