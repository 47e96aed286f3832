import { afterEach, describe, expect, it } from 'vitest';
import { MomoProvider, type MomoOptions } from '../../../src/modules/payments/providers/momo.js';
import { deadPort, localServer, uuid, type Received } from './support.js';

/** The momo adapter's wire usage, against a local stand-in for MTN's API. */
type Server = Awaited<ReturnType<typeof localServer>>;
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function fakeMomo(api: (r: Received) => { status: number; body?: unknown; delayMs?: number }, tokenTtl = 3600) {
  const s = await localServer((r, res) => {
    const answer = r.url.endsWith('/token/') ? { status: 200, body: { access_token: `tok-${Math.random()}`, token_type: 'access_token', expires_in: tokenTtl } } : api(r);
    setTimeout(() => {
      res.writeHead(answer.status, answer.body !== undefined ? { 'content-type': 'application/json' } : {});
      res.end(answer.body !== undefined ? JSON.stringify(answer.body) : undefined);
    }, answer.delayMs ?? 0);
  });
  servers.push(s);
  return s;
}

function provider(baseUrl: string, extra: Partial<MomoOptions> = {}) {
  return new MomoProvider({
    baseUrl: `${baseUrl}/momo`,
    collection: { apiUser: 'api-user', apiKey: 'api-key', subscriptionKey: 'sub-key' },
    disbursement: { apiUser: 'd-user', apiKey: 'd-key', subscriptionKey: 'd-sub' },
    targetEnvironment: 'mtnrwanda',
    callbackUrl: 'https://tikiti.example/api/v1/webhooks/momo',
    currencies: ['RWF', 'EUR'],
    timeoutMs: 500,
    ...extra,
  });
}

const pending = { status: 200, body: { status: 'PENDING', amount: '1', currency: 'RWF' } };

describe('momo adapter on the wire', () => {
  it('requesttopay: token by Basic auth, then the documented headers and JSON body; amount in major units', async () => {
    const s = await fakeMomo(() => ({ status: 202 }));
    const paymentId = uuid();
    const res = await provider(s.url).initiate({ paymentId, amount: 1050, currency: 'EUR', payerPhone: '+46733123456', description: 'Tikiti: 2 tickets' });
    expect(res).toMatchObject({ status: 'pending', providerRef: paymentId, nextAction: { type: 'approve_on_phone', phone: '+46733123456' } });
    const [tok, rtp] = s.received;
    expect(tok).toMatchObject({ method: 'POST', url: '/momo/collection/token/' });
    expect(tok!.headers.authorization).toBe(`Basic ${Buffer.from('api-user:api-key').toString('base64')}`);
    expect(tok!.headers['ocp-apim-subscription-key']).toBe('sub-key');
    expect(rtp).toMatchObject({ method: 'POST', url: '/momo/collection/v1_0/requesttopay' });
    expect(rtp!.headers).toMatchObject({
      authorization: expect.stringMatching(/^Bearer tok-/),
      'x-reference-id': paymentId,
      'x-target-environment': 'mtnrwanda',
      'x-callback-url': 'https://tikiti.example/api/v1/webhooks/momo',
      'ocp-apim-subscription-key': 'sub-key',
      'content-type': 'application/json',
    });
    expect(JSON.parse(rtp!.body)).toEqual({
      amount: '10.50',
      currency: 'EUR',
      externalId: paymentId,
      payer: { partyIdType: 'MSISDN', partyId: '46733123456' },
      payerMessage: 'Tikiti: 2 tickets',
      payeeNote: 'Tikiti: 2 tickets',
    });
  });

  it('caches the token: 20 concurrent calls share one token request', async () => {
    const s = await fakeMomo(() => pending);
    const p = provider(s.url);
    await Promise.all(Array.from({ length: 20 }, () => p.getStatus(uuid())));
    await p.getStatus(uuid());
    expect(s.received.filter((r) => r.url.endsWith('/token/'))).toHaveLength(1);
    expect(new Set(s.received.filter((r) => !r.url.endsWith('/token/')).map((r) => r.headers.authorization)).size).toBe(1);
  });

  it('refreshes the token shortly before it expires', async () => {
    const s = await fakeMomo(() => pending, 1);
    const p = provider(s.url, { tokenSkewMs: 60_000 });
    await p.getStatus(uuid());
    await p.getStatus(uuid());
    expect(s.received.filter((r) => r.url.endsWith('/token/'))).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 950)); // 1 s life, refreshed 100 ms early
    await p.getStatus(uuid());
    expect(s.received.filter((r) => r.url.endsWith('/token/'))).toHaveLength(2);
  });

  it('a 401 on a call drops the token and retries once with a fresh one', async () => {
    let calls = 0;
    const s = await fakeMomo(() => (++calls === 1 ? { status: 401, body: { code: 'UNAUTHORIZED' } } : pending));
    await expect(provider(s.url).getStatus(uuid())).resolves.toMatchObject({ status: 'pending' });
    expect(s.received.filter((r) => r.url.endsWith('/token/'))).toHaveLength(2);
  });

  it('refunds through Disbursements with their own credentials and referenceIdToRefund', async () => {
    const s = await fakeMomo(() => ({ status: 202 }));
    const [paymentId, refundId] = [uuid(), uuid()];
    const res = await provider(s.url).refund({ paymentId, refundId, providerRef: paymentId, amount: 5000, currency: 'RWF' });
    expect(res).toEqual({ status: 'pending', providerRef: refundId });
    const [tok, call] = s.received;
    expect(tok).toMatchObject({ url: '/momo/disbursement/token/' });
    expect(tok!.headers.authorization).toBe(`Basic ${Buffer.from('d-user:d-key').toString('base64')}`);
    expect(call).toMatchObject({ method: 'POST', url: '/momo/disbursement/v1_0/refund' });
    expect(call!.headers).toMatchObject({ 'x-reference-id': refundId, 'ocp-apim-subscription-key': 'd-sub' });
    expect(JSON.parse(call!.body)).toMatchObject({ amount: '5000', currency: 'RWF', externalId: refundId, referenceIdToRefund: paymentId });
  });

  it('maps statuses and reasons (string or {code})', async () => {
    const answers = [
      { status: 'SUCCESSFUL', financialTransactionId: '1' },
      { status: 'FAILED', reason: 'APPROVAL_REJECTED' },
      { status: 'FAILED', reason: { code: 'NOT_ENOUGH_FUNDS', message: 'x' } },
      { status: 'REJECTED' },
      { status: 'PENDING' },
    ];
    let i = 0;
    const s = await fakeMomo(() => ({ status: 200, body: answers[i++] }));
    const p = provider(s.url);
    const got = [];
    for (let k = 0; k < answers.length; k++) {
      const { status, reason } = await p.getStatus(uuid());
      got.push([status, reason]);
    }
    expect(got).toEqual([
      ['succeeded', undefined],
      ['failed', 'APPROVAL_REJECTED'],
      ['failed', 'NOT_ENOUGH_FUNDS'],
      ['failed', 'REJECTED'],
      ['pending', undefined],
    ]);
  });
});

describe('momo adapter errors', () => {
  const input = () => ({ paymentId: uuid(), amount: 100, currency: 'RWF', payerPhone: '+250788123456', description: 'x' });

  it('5xx, timeouts and refused connections are outages (provider_unavailable)', async () => {
    const s500 = await fakeMomo(() => ({ status: 500, body: { code: 'INTERNAL_PROCESSING_ERROR' } }));
    await expect(provider(s500.url).initiate(input())).rejects.toMatchObject({ code: 'provider_unavailable', details: { outage: true } });
    const slow = await fakeMomo(() => ({ status: 202, delayMs: 2000 }));
    await expect(provider(slow.url).initiate(input())).rejects.toMatchObject({ code: 'provider_unavailable', details: { cause: expect.stringContaining('timed out') } });
    await expect(provider(`http://127.0.0.1:${await deadPort()}`).initiate(input())).rejects.toMatchObject({ code: 'provider_unavailable', details: { cause: expect.stringContaining('ECONNREFUSED') } });
  });

  it('credentials refused at the token endpoint: provider_misconfigured (an outage too)', async () => {
    const s = await localServer((_r, res) => res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"login_failed"}'));
    servers.push(s);
    await expect(provider(s.url).initiate(input())).rejects.toMatchObject({ code: 'provider_misconfigured', details: { outage: true } });
  });

  it('a business refusal from MoMo is provider_rejected, not an outage', async () => {
    const s = await fakeMomo(() => ({ status: 500, body: { code: 'PAYER_NOT_FOUND', message: 'Payer not found' } }));
    const err = await provider(s.url).initiate(input()).catch((e) => e);
    expect(err).toMatchObject({ code: 'provider_rejected', status: 422, details: { reason: 'PAYER_NOT_FOUND' } });
    expect(err.details.outage).toBeUndefined();
  });

  it('checks its input before calling MoMo', async () => {
    const s = await fakeMomo(() => ({ status: 202 }));
    const p = provider(s.url);
    await expect(p.initiate({ ...input(), payerPhone: undefined })).rejects.toMatchObject({ code: 'validation_failed', fieldErrors: [{ field: 'payerPhone' }] });
    await expect(p.initiate({ ...input(), payerPhone: '0788123456' })).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(p.initiate({ ...input(), paymentId: 'pay-1' })).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(p.initiate({ ...input(), amount: 10.5 })).rejects.toMatchObject({ code: 'validation_failed' });
    expect(s.received).toHaveLength(0);
  });
});

describe('momo callbacks (unsigned: hints only)', () => {
  const p = provider('http://127.0.0.1:1');
  it('parses a request-to-pay callback and a refund callback', () => {
    const ref = uuid();
    const ev = p.verifyWebhook({ headers: {}, rawBody: JSON.stringify({ externalId: ref, amount: '5', currency: 'RWF', payer: { partyIdType: 'MSISDN', partyId: '1' }, status: 'FAILED', reason: 'EXPIRED' }) });
    expect(ev).toMatchObject({ type: 'payment', providerType: 'momo.requesttopay', providerRef: ref, paymentId: ref, status: 'failed', reason: 'EXPIRED', verified: false });
    const refund = p.verifyWebhook({ headers: {}, rawBody: Buffer.from(JSON.stringify({ externalId: ref, payee: { partyIdType: 'MSISDN', partyId: '1' }, status: 'SUCCESSFUL' })) });
    expect(refund).toMatchObject({ type: 'refund', providerRef: ref, refundId: ref, status: 'succeeded' });
    expect(refund.eventId).not.toBe(ev.eventId);
  });

  it('rejects bodies that name no transaction', () => {
    for (const body of ['not json', '[]', '{"status":"SUCCESSFUL"}', JSON.stringify({ externalId: 'abc', status: 'SUCCESSFUL' }), JSON.stringify({ externalId: uuid() })]) {
      expect(() => p.verifyWebhook({ headers: {}, rawBody: body }), body).toThrow(expect.objectContaining({ code: 'invalid_webhook', status: 400 }));
    }
  });
});
