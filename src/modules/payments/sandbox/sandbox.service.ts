import crypto from 'node:crypto';
import type { Logger } from 'pino';
import type { Db } from '../../../platform/db/database.js';
import { outcomeForPayer } from './sandbox.outcomes.js';
import { SandboxRepository, type SandboxKind, type SandboxTransactionView } from './sandbox.repository.js';

/**
 * The MTN MoMo simulator built into Tikiti. It speaks the MoMo Open API wire protocol
 * (Collections request-to-pay, Disbursements refund, tokens), decides each request from the
 * payer's test number (sandbox.outcomes.ts), reveals the outcome after a delay, and calls back
 * X-Callback-Url once decided (PUT, unsigned, best effort — like MoMo).
 *
 * State is in PostgreSQL (sandbox_momo_transactions), so several server processes behind a load
 * balancer answer the same status. Callback timers live in the process that accepted the request
 * (unref'd, cleared by close()); a callback is claimed in SQL so it is sent at most once. If that
 * process stops before the delay, the callback is lost — as real callbacks sometimes are; the
 * status GET still answers.
 *
 * Errors answer MoMo's own shapes ({code, message}, APIM's {statusCode, message}, {error}),
 * not Tikiti's problem+json, because clients of this API are MoMo clients.
 */
export class SandboxError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.message ?? body.error ?? status));
    this.name = 'SandboxError';
  }
}

export type Product = 'collection' | 'disbursement';

export interface SandboxOptions {
  confirmDelayMs: number;
  slowConfirmDelayMs: number;
  /** Signs the access tokens the sandbox hands out (so every process accepts them). */
  secret: Uint8Array | string;
  log: Logger;
  tokenTtlSeconds?: number;
  callbackTimeoutMs?: number;
}

type Headers = Record<string, string | string[] | undefined>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const AMOUNT = /^\d{1,15}(\.\d{1,4})?$/;
const CURRENCY = /^[A-Z]{3}$/;
const MSISDN = /^\d{6,15}$/;

const SANDBOX_ENVIRONMENT = 'sandbox';

function header(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

const momoError = (status: number, code: string, message: string) => new SandboxError(status, { code, message });

export class MomoSandbox {
  private readonly repo: SandboxRepository;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly pending = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly db: Db,
    private readonly opts: SandboxOptions,
  ) {
    this.repo = new SandboxRepository(db);
  }

  // --- tokens -------------------------------------------------------------------------------

  /** POST /{product}/token/ — any Basic apiUser:apiKey is accepted, but the header shapes are MoMo's. */
  issueToken(product: Product, headers: Headers) {
    this.requireSubscriptionKey(headers);
    const auth = header(headers, 'authorization') ?? '';
    const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(auth);
    const decoded = m ? Buffer.from(m[1]!, 'base64').toString('utf8') : '';
    const sep = decoded.indexOf(':');
    if (sep <= 0 || sep === decoded.length - 1) throw new SandboxError(401, { error: 'login_failed' });
    const apiUser = decoded.slice(0, sep);
    const ttl = this.opts.tokenTtlSeconds ?? 3600;
    const payload = Buffer.from(JSON.stringify({ u: apiUser, p: product, e: Math.floor(Date.now() / 1000) + ttl })).toString('base64url');
    return { access_token: `${payload}.${this.sign(payload)}`, token_type: 'access_token', expires_in: ttl };
  }

  /** Checks subscription key and Bearer token of an API call; returns the API user. */
  authenticate(product: Product, headers: Headers): string {
    this.requireSubscriptionKey(headers);
    const auth = header(headers, 'authorization') ?? '';
    const m = /^Bearer ([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(auth);
    const unauthorized = () => new SandboxError(401, { code: 'UNAUTHORIZED', message: 'Access token is missing, invalid or expired.' });
    if (!m) throw unauthorized();
    const expected = Buffer.from(this.sign(m[1]!));
    const given = Buffer.from(m[2]!);
    if (expected.length !== given.length || !crypto.timingSafeEqual(expected, given)) throw unauthorized();
    let claims: { u?: unknown; p?: unknown; e?: unknown };
    try {
      claims = JSON.parse(Buffer.from(m[1]!, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      throw unauthorized();
    }
    if (claims.p !== product || typeof claims.e !== 'number' || claims.e * 1000 < Date.now() || typeof claims.u !== 'string') {
      throw unauthorized();
    }
    const env = header(headers, 'x-target-environment');
    if (!env) throw momoError(400, 'INVALID_REQUEST', 'X-Target-Environment header is required.');
    if (env !== SANDBOX_ENVIRONMENT) {
      throw momoError(403, 'NOT_ALLOWED_TARGET_ENVIRONMENT', `Access to target environment ${env} is forbidden; this sandbox serves "sandbox".`);
    }
    return claims.u;
  }

  // --- collections ----------------------------------------------------------------------------

  /** POST /collection/v1_0/requesttopay → 202 (empty) | 400 | 409 RESOURCE_ALREADY_EXIST. */
  async requestToPay(headers: Headers, body: unknown): Promise<void> {
    const apiUser = this.authenticate('collection', headers);
    const referenceId = this.referenceId(headers);
    const callbackUrl = this.callbackUrl(headers);
    const b = this.object(body);
    const amount = this.amount(b.amount);
    const currency = this.currency(b.currency);
    const externalId = this.optionalText(b.externalId, 'externalId') ?? '';
    const payer = b.payer;
    if (!payer || typeof payer !== 'object' || Array.isArray(payer)) throw momoError(400, 'INVALID_REQUEST', 'payer is required.');
    const { partyIdType, partyId } = payer as Record<string, unknown>;
    if (partyIdType !== 'MSISDN' && partyIdType !== 'EMAIL' && partyIdType !== 'PARTY_CODE') {
      throw momoError(400, 'INVALID_REQUEST', 'payer.partyIdType must be MSISDN, EMAIL or PARTY_CODE.');
    }
    if (typeof partyId !== 'string' || partyId.length === 0 || (partyIdType === 'MSISDN' && !MSISDN.test(partyId))) {
      throw momoError(400, 'INVALID_REQUEST', 'payer.partyId must be a phone number in international form, digits only.');
    }
    const outcome = outcomeForPayer(partyId);
    const delayMs = outcome.delay === 'never' ? null : outcome.delay === 'slow' ? this.opts.slowConfirmDelayMs : this.opts.confirmDelayMs;
    const inserted = await this.repo.insertTransaction(
      {
        kind: 'requesttopay',
        reference_id: referenceId,
        api_user: apiUser,
        target_environment: SANDBOX_ENVIRONMENT,
        amount,
        currency,
        external_id: externalId,
        party_id_type: partyIdType,
        party_id: partyId,
        payer_message: this.optionalText(b.payerMessage, 'payerMessage'),
        payee_note: this.optionalText(b.payeeNote, 'payeeNote'),
        callback_url: callbackUrl,
        reference_id_to_refund: null,
        outcome: outcome.status ?? 'FAILED',
        reason: outcome.reason,
        financial_transaction_id: financialTransactionId(),
      },
      delayMs,
    );
    if (!inserted) throw momoError(409, 'RESOURCE_ALREADY_EXIST', 'Duplicated reference id. Creation of resource failed.');
    if (delayMs !== null && callbackUrl) this.scheduleCallback('requesttopay', referenceId, delayMs);
  }

  /** GET /collection/v1_0/requesttopay/{referenceId} → 200 | 404 RESOURCE_NOT_FOUND. */
  async getRequestToPay(headers: Headers, referenceId: string) {
    this.authenticate('collection', headers);
    const row = UUID.test(referenceId) ? await this.repo.findTransaction('requesttopay', referenceId) : undefined;
    if (!row) throw momoError(404, 'RESOURCE_NOT_FOUND', 'Requested resource was not found.');
    return requestToPayBody(row);
  }

  /** GET /collection/v1_0/accountholder/msisdn/{msisdn}/active → {result}. …455 is "not found". */
  accountHolderActive(headers: Headers, idType: string, id: string) {
    this.authenticate('collection', headers);
    if (idType.toLowerCase() !== 'msisdn') return { result: true };
    if (!MSISDN.test(id)) throw momoError(400, 'INVALID_REQUEST', 'accountHolderId must be a phone number in international form, digits only.');
    return { result: outcomeForPayer(id).reason !== 'PAYER_NOT_FOUND' };
  }

  // --- refunds (Disbursements) -----------------------------------------------------------------

  /**
   * POST /disbursement/v1_0/refund (and v2_0) → 202 | 400 | 409. The refund is decided at once and
   * revealed after the normal delay: it fails (RESOURCE_NOT_FOUND, NOT_ALLOWED, INVALID_CURRENCY,
   * REFUND_AMOUNT_EXCEEDS_ORIGINAL) when the payment is unknown, not successful, in another
   * currency, or already refunded beyond its amount; otherwise it succeeds.
   */
  async refund(headers: Headers, body: unknown): Promise<void> {
    const apiUser = this.authenticate('disbursement', headers);
    const referenceId = this.referenceId(headers);
    const callbackUrl = this.callbackUrl(headers);
    const b = this.object(body);
    const amount = this.amount(b.amount);
    const currency = this.currency(b.currency);
    const toRefund = b.referenceIdToRefund;
    if (typeof toRefund !== 'string' || !UUID.test(toRefund)) throw momoError(400, 'INVALID_REQUEST', 'referenceIdToRefund must be a UUID.');
    const externalId = this.optionalText(b.externalId, 'externalId') ?? '';
    const inserted = await this.db.transaction().execute(async (tx) => {
      const original = await this.repo.lockTransaction('requesttopay', toRefund, tx);
      let outcome: 'SUCCESSFUL' | 'FAILED' = 'SUCCESSFUL';
      let reason: string | null = null;
      if (!original) [outcome, reason] = ['FAILED', 'RESOURCE_NOT_FOUND'];
      else if (original.visible_status !== 'SUCCESSFUL') [outcome, reason] = ['FAILED', 'NOT_ALLOWED'];
      else if (original.currency !== currency) [outcome, reason] = ['FAILED', 'INVALID_CURRENCY'];
      else if ((await this.repo.sumRefunds(toRefund, tx)) + Number(amount) > Number(original.amount)) {
        [outcome, reason] = ['FAILED', 'REFUND_AMOUNT_EXCEEDS_ORIGINAL'];
      }
      return this.repo.insertTransaction(
        {
          kind: 'refund',
          reference_id: referenceId,
          api_user: apiUser,
          target_environment: SANDBOX_ENVIRONMENT,
          amount,
          currency,
          external_id: externalId,
          party_id_type: original?.party_id_type ?? 'MSISDN',
          party_id: original?.party_id ?? '',
          payer_message: this.optionalText(b.payerMessage, 'payerMessage'),
          payee_note: this.optionalText(b.payeeNote, 'payeeNote'),
          callback_url: callbackUrl,
          reference_id_to_refund: toRefund,
          outcome,
          reason,
          financial_transaction_id: financialTransactionId(),
        },
        this.opts.confirmDelayMs,
        tx,
      );
    });
    if (!inserted) throw momoError(409, 'RESOURCE_ALREADY_EXIST', 'Duplicated reference id. Creation of resource failed.');
    if (callbackUrl) this.scheduleCallback('refund', referenceId, this.opts.confirmDelayMs);
  }

  /** GET /disbursement/v1_0/refund/{referenceId}. */
  async getRefund(headers: Headers, referenceId: string) {
    this.authenticate('disbursement', headers);
    const row = UUID.test(referenceId) ? await this.repo.findTransaction('refund', referenceId) : undefined;
    if (!row) throw momoError(404, 'RESOURCE_NOT_FOUND', 'Requested resource was not found.');
    return refundBody(row);
  }

  // --- callbacks -------------------------------------------------------------------------------

  /** Stops pending callback timers and waits for callbacks in flight. Called on app close. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.pending]);
  }

  private scheduleCallback(kind: SandboxKind, referenceId: string, delayMs: number, attempt = 0) {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const p = this.deliverCallback(kind, referenceId, attempt).finally(() => this.pending.delete(p));
      this.pending.add(p);
    }, delayMs + 10);
    timer.unref();
    this.timers.add(timer);
  }

  private async deliverCallback(kind: SandboxKind, referenceId: string, attempt: number): Promise<void> {
    try {
      const row = await this.repo.claimCallback(kind, referenceId);
      if (!row) {
        // The database clock may lag ours by a few ms: look again once.
        const ms = await this.repo.msUntilDecided(kind, referenceId);
        if (ms !== null && ms > 0 && attempt < 3) this.scheduleCallback(kind, referenceId, ms, attempt + 1);
        return;
      }
      const body = kind === 'requesttopay' ? requestToPayBody(row) : refundBody(row);
      const res = await fetch(row.callback_url!, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.opts.callbackTimeoutMs ?? 5000),
      });
      await res.body?.cancel();
      this.opts.log.debug({ kind, referenceId, status: res.status }, 'sandbox callback delivered');
    } catch (err) {
      // Best effort, like MoMo: no retry. The status GET stays the source of truth.
      this.opts.log.info({ kind, referenceId, err: (err as Error).message }, 'sandbox callback failed');
    }
  }

  // --- validation helpers ----------------------------------------------------------------------

  private sign(payload: string): string {
    return crypto.createHmac('sha256', this.opts.secret).update(`tikiti-momo-sandbox:${payload}`).digest('base64url');
  }

  private requireSubscriptionKey(headers: Headers) {
    if (!header(headers, 'ocp-apim-subscription-key')) {
      throw new SandboxError(401, {
        statusCode: 401,
        message: 'Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.',
      });
    }
  }

  private referenceId(headers: Headers): string {
    const id = header(headers, 'x-reference-id');
    if (!id) throw momoError(400, 'INVALID_REQUEST', 'X-Reference-Id header is required.');
    if (!UUID.test(id)) throw momoError(400, 'INVALID_REQUEST', 'X-Reference-Id must be a UUID.');
    return id.toLowerCase();
  }

  private callbackUrl(headers: Headers): string | null {
    const url = header(headers, 'x-callback-url');
    if (!url) return null;
    try {
      const u = new URL(url);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
    } catch {
      throw momoError(400, 'INVALID_CALLBACK_URL_HOST', 'X-Callback-Url must be an http(s) URL.');
    }
    return url;
  }

  private object(body: unknown): Record<string, unknown> {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw momoError(400, 'INVALID_REQUEST', 'The body must be a JSON object.');
    return body as Record<string, unknown>;
  }

  private amount(v: unknown): string {
    if (typeof v !== 'string' || !AMOUNT.test(v) || Number(v) <= 0) {
      throw momoError(400, 'INVALID_REQUEST', 'amount must be a positive decimal number in a string, e.g. "5000" or "10.50".');
    }
    return v;
  }

  private currency(v: unknown): string {
    if (typeof v !== 'string' || !CURRENCY.test(v)) throw momoError(400, 'INVALID_CURRENCY', 'currency must be an ISO 4217 code.');
    return v;
  }

  private optionalText(v: unknown, field: string): string | null {
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string' || v.length > 160) throw momoError(400, 'INVALID_REQUEST', `${field} must be a string of at most 160 characters.`);
    return v;
  }
}

function financialTransactionId(): string {
  return String(crypto.randomInt(100_000_000, 999_999_999));
}

/** A MoMo transaction result; the party is the `payer` of a collection, the `payee` of a refund. */
function transactionBody(row: SandboxTransactionView, party: 'payer' | 'payee') {
  const status = row.visible_status;
  return {
    ...(status === 'SUCCESSFUL' ? { financialTransactionId: row.financial_transaction_id } : {}),
    externalId: row.external_id,
    amount: row.amount,
    currency: row.currency,
    [party]: { partyIdType: row.party_id_type, partyId: row.party_id },
    ...(row.payer_message !== null ? { payerMessage: row.payer_message } : {}),
    ...(row.payee_note !== null ? { payeeNote: row.payee_note } : {}),
    status,
    ...(status === 'FAILED' && row.reason ? { reason: row.reason } : {}),
  };
}

/** MoMo's RequestToPayResult (the GET body and the callback body). */
const requestToPayBody = (row: SandboxTransactionView) => transactionBody(row, 'payer');
/** MoMo's refund / transfer result: the money goes to the payee (the original payer). */
const refundBody = (row: SandboxTransactionView) => transactionBody(row, 'payee');
