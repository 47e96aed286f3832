import crypto from 'node:crypto';
import { AppError } from '../../../platform/errors.js';
import { formatMoney, minorToMajorString } from './money.js';
import { providerErrors } from './providers.errors.js';
import type {
  InitiateInput,
  InitiateResult,
  PaymentMethod,
  PaymentProvider,
  ProviderStatus,
  RefundInput,
  RefundResult,
  StatusResult,
  WebhookEvent,
  WebhookInput,
} from './provider.js';

/**
 * MTN MoMo Open API adapter (Collections for request-to-pay, Disbursements for refunds), spoken
 * over plain fetch. The wire protocol:
 *  - POST {base}/collection/token/ (Basic apiUser:apiKey, Ocp-Apim-Subscription-Key)
 *      → {access_token, token_type, expires_in}; cached until shortly before expiry, one refresh
 *      at a time (concurrent callers share the same in-flight request);
 *  - POST {base}/collection/v1_0/requesttopay (Bearer, X-Reference-Id = our payment id,
 *      X-Target-Environment, optional X-Callback-Url) {amount: "major units", currency,
 *      externalId, payer: {partyIdType: 'MSISDN', partyId}, payerMessage, payeeNote} → 202;
 *  - GET {base}/collection/v1_0/requesttopay/{referenceId} → {status: PENDING|SUCCESSFUL|FAILED, reason};
 *  - POST {base}/disbursement/v1_0/refund (X-Reference-Id = our refund id)
 *      {amount, currency, externalId, payerMessage, payeeNote, referenceIdToRefund} → 202,
 *    GET {base}/disbursement/v1_0/refund/{referenceId}.
 * Callbacks are unsigned: verifyWebhook only parses them into a hint; the flow confirms with
 * getStatus. By default {base} is the sandbox built into Tikiti (src/modules/payments/sandbox).
 */

export interface MomoCredentials {
  apiUser: string;
  apiKey: string;
  subscriptionKey: string;
}

export interface MomoOptions {
  /** Registry name; 'momo' unless several MoMo accounts are configured. */
  name?: string;
  /** e.g. https://proxy.momoapi.mtn.com or http://127.0.0.1:3000/sandbox/momo (no trailing slash). */
  baseUrl: string;
  collection: MomoCredentials;
  /** Refunds go through the Disbursements product; defaults to the collection credentials. */
  disbursement?: MomoCredentials;
  targetEnvironment: string;
  callbackUrl?: string;
  currencies: readonly string[];
  timeoutMs: number;
  /** Refresh the token this long before it expires (default 60 s, capped at a tenth of its life). */
  tokenSkewMs?: number;
  /** True when baseUrl is the sandbox served by this process (re-pointed once it listens). */
  localSandbox?: boolean;
  fetch?: typeof fetch;
}

type Product = 'collection' | 'disbursement';

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** MoMo error codes that are business answers about this payer or request, not an outage. */
const BUSINESS_CODES = new Set([
  'PAYER_NOT_FOUND',
  'PAYEE_NOT_FOUND',
  'NOT_ALLOWED',
  'INVALID_CURRENCY',
  'NOT_ENOUGH_FUNDS',
  'PAYER_LIMIT_REACHED',
  'PAYEE_NOT_ALLOWED_TO_RECEIVE',
  'PAYMENT_NOT_APPROVED',
  'APPROVAL_REJECTED',
  'EXPIRED',
  'TRANSACTION_CANCELED',
  'INVALID_CALLBACK_URL_HOST',
  'RESOURCE_ALREADY_EXIST',
  'REFUND_AMOUNT_EXCEEDS_ORIGINAL',
]);

const E164 = /^\+[1-9]\d{6,14}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** MoMo statuses → ours. MoMo says PENDING/SUCCESSFUL/FAILED; some markets also send these. */
export function mapMomoStatus(status: unknown): ProviderStatus {
  switch (String(status).toUpperCase()) {
    case 'SUCCESSFUL':
    case 'SUCCESS':
      return 'succeeded';
    case 'FAILED':
    case 'REJECTED':
    case 'TIMEOUT':
    case 'EXPIRED':
    case 'CANCELLED':
    case 'CANCELED':
      return 'failed';
    default:
      return 'pending';
  }
}

/** MoMo's `reason` is a string in the API reference and {code, message} in some deployments. */
function reasonOf(body: Record<string, unknown>): string | undefined {
  const r = body.reason;
  if (typeof r === 'string' && r) return r;
  if (r && typeof r === 'object' && typeof (r as { code?: unknown }).code === 'string') return (r as { code: string }).code;
  return undefined;
}

export class MomoProvider implements PaymentProvider {
  readonly name: string;
  readonly methods: readonly PaymentMethod[] = ['momo'];
  readonly currencies: readonly string[];
  private baseUrl: string;
  private readonly tokens = new Map<Product, CachedToken>();
  private readonly inflight = new Map<Product, Promise<string>>();
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly opts: MomoOptions) {
    this.name = opts.name ?? 'momo';
    this.currencies = opts.currencies.map((c) => c.toUpperCase());
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = opts.fetch ?? fetch;
  }

  get base(): string {
    return this.baseUrl;
  }

  get usesLocalSandbox(): boolean {
    return this.opts.localSandbox === true;
  }

  /** Point at another base URL (the built-in sandbox once the server knows its port). */
  setBaseUrl(url: string) {
    this.baseUrl = url.replace(/\/+$/, '');
    this.tokens.clear();
  }

  async initiate(input: InitiateInput): Promise<InitiateResult> {
    if (!UUID.test(input.paymentId)) throw providerErrors.invalidInput('paymentId', 'must be a UUID (it is the MoMo X-Reference-Id)');
    if (!input.payerPhone || !E164.test(input.payerPhone)) {
      throw providerErrors.invalidInput('payerPhone', 'is required for mobile money, in E.164 form (+250788123456)');
    }
    const amount = minorToMajorString(input.amount, input.currency);
    const partyId = input.payerPhone.slice(1);
    const callbackUrl = input.callbackUrl ?? this.opts.callbackUrl;
    const res = await this.call('collection', 'POST', '/collection/v1_0/requesttopay', {
      headers: {
        'X-Reference-Id': input.paymentId,
        ...(callbackUrl ? { 'X-Callback-Url': callbackUrl } : {}),
      },
      body: {
        amount,
        currency: input.currency.toUpperCase(),
        externalId: input.paymentId,
        payer: { partyIdType: 'MSISDN', partyId },
        payerMessage: truncate(input.description, 160),
        payeeNote: truncate(input.description, 160),
      },
      // 409 RESOURCE_ALREADY_EXIST: this payment id was already requested (a retry after a
      // timeout or crash). The request stands; getStatus tells how it went. Never a second charge.
      accept: [202, 409],
    });
    if (res.status === 409 && res.body.code !== undefined && res.body.code !== 'RESOURCE_ALREADY_EXIST') {
      throw providerErrors.rejected(this.name, String(res.body.code));
    }
    return {
      status: 'pending',
      providerRef: input.paymentId,
      nextAction: {
        type: 'approve_on_phone',
        phone: input.payerPhone,
        message: `Approve the payment of ${formatMoney(input.amount, input.currency)} on your phone ${input.payerPhone} (dial *182*7*1# if no prompt appears).`,
      },
    };
  }

  async getStatus(providerRef: string): Promise<StatusResult> {
    this.checkRef(providerRef);
    const res = await this.call('collection', 'GET', `/collection/v1_0/requesttopay/${providerRef}`, { accept: [200], ref: providerRef });
    const status = mapMomoStatus(res.body.status);
    const reason = status === 'failed' ? (reasonOf(res.body) ?? String(res.body.status)) : undefined;
    return { status, ...(reason ? { reason } : {}), raw: res.body };
  }

  async refund(input: RefundInput): Promise<RefundResult> {
    this.checkRef(input.providerRef);
    if (!UUID.test(input.refundId)) throw providerErrors.invalidInput('refundId', 'must be a UUID (it is the MoMo X-Reference-Id)');
    const note = truncate(input.note ?? `Refund of payment ${input.paymentId}`, 160);
    const res = await this.call('disbursement', 'POST', '/disbursement/v1_0/refund', {
      headers: {
        'X-Reference-Id': input.refundId,
        ...(this.opts.callbackUrl ? { 'X-Callback-Url': this.opts.callbackUrl } : {}),
      },
      body: {
        amount: minorToMajorString(input.amount, input.currency),
        currency: input.currency.toUpperCase(),
        externalId: input.refundId,
        payerMessage: note,
        payeeNote: note,
        referenceIdToRefund: input.providerRef,
      },
      accept: [202, 409],
    });
    if (res.status === 409 && res.body.code !== undefined && res.body.code !== 'RESOURCE_ALREADY_EXIST') {
      throw providerErrors.rejected(this.name, String(res.body.code));
    }
    return { status: 'pending', providerRef: input.refundId };
  }

  async getRefundStatus(refundProviderRef: string): Promise<RefundResult & { raw: unknown }> {
    this.checkRef(refundProviderRef);
    const res = await this.call('disbursement', 'GET', `/disbursement/v1_0/refund/${refundProviderRef}`, {
      accept: [200],
      ref: refundProviderRef,
    });
    const status = mapMomoStatus(res.body.status);
    const reason = status === 'failed' ? (reasonOf(res.body) ?? String(res.body.status)) : undefined;
    return { status, providerRef: refundProviderRef, ...(reason ? { reason } : {}), raw: res.body };
  }

  /**
   * MoMo callbacks are NOT signed: anyone can post one. This only parses the body into a hint
   * (which payment, which claimed status); the flow must confirm with getStatus /
   * getRefundStatus before changing anything. The event id is derived from the reference and
   * the claimed status, so redeliveries of the same callback dedupe in the inbox.
   */
  verifyWebhook(input: WebhookInput): WebhookEvent {
    let body: unknown;
    try {
      body = JSON.parse(Buffer.isBuffer(input.rawBody) ? input.rawBody.toString('utf8') : input.rawBody);
    } catch {
      throw providerErrors.invalidWebhook(this.name, 'not JSON');
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw providerErrors.invalidWebhook(this.name, 'not a JSON object');
    const b = body as Record<string, unknown>;
    const ref = [b.referenceId, b.externalId].find((v): v is string => typeof v === 'string' && UUID.test(v));
    if (!ref) throw providerErrors.invalidWebhook(this.name, 'no referenceId or externalId naming a transaction');
    if (typeof b.status !== 'string' || !b.status) throw providerErrors.invalidWebhook(this.name, 'no status');
    const isRefund = b.payee !== undefined && b.payer === undefined;
    const status = mapMomoStatus(b.status);
    const reason = status === 'failed' ? (reasonOf(b) ?? b.status) : undefined;
    const providerType = isRefund ? 'momo.refund' : 'momo.requesttopay';
    return {
      eventId: crypto.createHash('sha256').update(`${providerType}:${ref}:${b.status.toUpperCase()}:${reason ?? ''}`).digest('hex').slice(0, 40),
      type: isRefund ? 'refund' : 'payment',
      providerType,
      providerRef: ref,
      ...(isRefund ? { refundId: ref } : { paymentId: ref }),
      status,
      ...(reason ? { reason } : {}),
      verified: false,
      raw: body,
    };
  }

  private checkRef(ref: string) {
    if (!UUID.test(ref)) throw providerErrors.refNotFound(this.name, ref);
  }

  private credentials(product: Product): MomoCredentials {
    return product === 'disbursement' ? (this.opts.disbursement ?? this.opts.collection) : this.opts.collection;
  }

  /** A bearer token for the product, cached; concurrent callers share one refresh. */
  private async token(product: Product): Promise<string> {
    const cached = this.tokens.get(product);
    if (cached && Date.now() < cached.expiresAt) return cached.token;
    const running = this.inflight.get(product);
    if (running) return running;
    const p = this.fetchToken(product).finally(() => this.inflight.delete(product));
    this.inflight.set(product, p);
    return p;
  }

  private async fetchToken(product: Product): Promise<string> {
    const creds = this.credentials(product);
    const res = await this.send('POST', `/${product}/token/`, {
      Authorization: `Basic ${Buffer.from(`${creds.apiUser}:${creds.apiKey}`).toString('base64')}`,
      'Ocp-Apim-Subscription-Key': creds.subscriptionKey,
    });
    if (res.status === 401 || res.status === 403) throw providerErrors.misconfigured(this.name, `token ${res.status}`);
    if (res.status !== 200) throw this.mapFailure(res.status, res.body, 'token');
    const token = res.body.access_token;
    const expiresIn = Number(res.body.expires_in);
    if (typeof token !== 'string' || !token || !Number.isFinite(expiresIn) || expiresIn <= 0) {
      throw providerErrors.unavailable(this.name, 'token response without access_token/expires_in');
    }
    const lifeMs = expiresIn * 1000;
    const skew = Math.min(this.opts.tokenSkewMs ?? 60_000, lifeMs / 10);
    this.tokens.set(product, { token, expiresAt: Date.now() + lifeMs - skew });
    return token;
  }

  private async call(
    product: Product,
    method: 'GET' | 'POST',
    path: string,
    opts: { headers?: Record<string, string>; body?: unknown; accept: number[]; ref?: string },
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.token(product);
      const res = await this.send(
        method,
        path,
        {
          Authorization: `Bearer ${token}`,
          'X-Target-Environment': this.opts.targetEnvironment,
          'Ocp-Apim-Subscription-Key': this.credentials(product).subscriptionKey,
          ...opts.headers,
        },
        opts.body,
      );
      if (opts.accept.includes(res.status)) return res;
      // A token revoked or expired early: drop it and try once with a fresh one.
      if (res.status === 401 && attempt === 0) {
        this.tokens.delete(product);
        continue;
      }
      if (res.status === 404 && opts.ref) throw providerErrors.refNotFound(this.name, opts.ref);
      throw this.mapFailure(res.status, res.body, `${method} ${path.replace(/[0-9a-f-]{36}/i, '{id}')}`);
    }
  }

  private mapFailure(status: number, body: Record<string, unknown>, what: string): AppError {
    const code = typeof body.code === 'string' ? body.code : undefined;
    if (code && BUSINESS_CODES.has(code)) return providerErrors.rejected(this.name, code, typeof body.message === 'string' ? `MoMo refused the request: ${code} (${body.message}).` : undefined);
    if (status === 401 || status === 403 || code === 'NOT_ALLOWED_TARGET_ENVIRONMENT') {
      return providerErrors.misconfigured(this.name, `${what} answered ${status}${code ? ` ${code}` : ''}`);
    }
    // A 400 is about this request (e.g. a payer number MoMo refuses): no outage, no failover.
    if (status === 400) return providerErrors.rejected(this.name, code ?? 'BAD_REQUEST');
    if (status === 404 || status === 405 || status === 415) {
      // Wrong base URL or API version: this provider cannot serve any request.
      return providerErrors.misconfigured(this.name, `${what} answered ${status}${code ? ` ${code}` : ''}`);
    }
    return providerErrors.unavailable(this.name, `${what} answered ${status}${code ? ` ${code}` : ''}`);
  }

  private async send(
    method: 'GET' | 'POST',
    path: string,
    headers: Record<string, string>,
    body?: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    let res: Response;
    let text: string;
    try {
      res = await this.fetchImpl(`${this.baseUrl}${path}`, {
        method,
        headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
      text = await res.text();
    } catch (e) {
      const name = (e as Error).name;
      const why = name === 'TimeoutError' || name === 'AbortError' ? `timed out after ${this.opts.timeoutMs} ms` : `network error (${causeOf(e)})`;
      throw providerErrors.unavailable(this.name, `${method} ${path.replace(/[0-9a-f-]{36}/i, '{id}')}: ${why}`);
    }
    let parsed: Record<string, unknown> = {};
    if (text) {
      try {
        const v: unknown = JSON.parse(text);
        if (v && typeof v === 'object' && !Array.isArray(v)) parsed = v as Record<string, unknown>;
      } catch {
        // Non-JSON bodies (gateway HTML pages) carry no information we use.
      }
    }
    return { status: res.status, body: parsed };
  }
}

function causeOf(e: unknown): string {
  const c = (e as { cause?: { code?: string; message?: string } }).cause;
  return c?.code ?? c?.message ?? (e as Error).message ?? 'unknown';
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
