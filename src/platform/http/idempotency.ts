import crypto from 'node:crypto';
import type { FastifyReply, FastifyRequest, onSendHookHandler, preHandlerHookHandler, preValidationHookHandler } from 'fastify';
import Type from 'typebox';
import type { Logger } from 'pino';
import type { Db } from '../db/database.js';
import { appError } from '../errors.js';
import { Coalescer } from '../coalescer.js';
import { uuidv7 } from '../ids.js';
import { IdempotencyRepository, type IdempotencyClaim, type IdempotencyCompletion, type IdempotencyRecord } from './idempotency.repository.js';

/**
 * Idempotency keys for every POST that creates or pays (Stripe's behaviour, IETF
 * draft-ietf-httpapi-idempotency-key-header):
 *  - the key is required (400 idempotency_key_required), quoted or not, 1–255 printable characters;
 *  - it is stored per caller (user, or anonymous by client address) with a fingerprint of the
 *    request (method, path, body); claiming it is one INSERT … ON CONFLICT DO NOTHING;
 *  - same key and same request → the stored response with `Idempotent-Replayed: true`;
 *    a different request → 422 idempotency_key_reused; still running → 409 idempotency_key_in_use;
 *  - responses below 500 are stored (deterministic outcomes, 4xx included, except 429);
 *    a 5xx or 429 releases the key so the client can retry;
 *  - keys live 24 h (purged by the `purge_idempotency_keys` job).
 *
 * Use on a route: `{ ...idempotent(app), schema: { headers: IdempotencyHeaders, ... } }`.
 */
export const IDEMPOTENCY_RETENTION_HOURS = 24;
/** An in-progress key older than this belongs to a request that died (process crash): it may be taken over. */
export const IDEMPOTENCY_STALE_SECONDS = 60;
const KEY_PATTERN = /^[\x20-\x7e]{1,255}$/;

export const idempotencyErrors = {
  required: () =>
    appError('idempotency_key_required', 400, 'This request needs an Idempotency-Key header (a unique value per operation, e.g. a UUID).'),
  invalid: () =>
    appError('idempotency_key_invalid', 400, 'The Idempotency-Key must be 1 to 255 printable ASCII characters, optionally in double quotes.', {}, {
      fieldErrors: [{ field: 'headers.idempotency-key', message: 'must be 1 to 255 printable ASCII characters' }],
    }),
  reused: () =>
    appError('idempotency_key_reused', 422, 'This Idempotency-Key was already used with a different request.'),
  inUse: () =>
    appError('idempotency_key_in_use', 409, 'A request with this Idempotency-Key is still being processed; retry shortly.', {}, {
      headers: { 'retry-after': '1' },
    }),
};

/** Documents the header on a route (not `required`: the hook answers a precise 400 itself). */
export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({ description: 'Unique per operation (e.g. a UUID), quoted or not. Retries with the same key and body replay the first response.', maxLength: 257 }),
  ),
});

/** Parse the header value: strip optional quotes, check length and characters. */
export function parseIdempotencyKey(raw: string | string[] | undefined): string {
  if (raw === undefined) throw idempotencyErrors.required();
  if (Array.isArray(raw)) throw idempotencyErrors.invalid();
  let key = raw.trim();
  if (key.length >= 2 && key.startsWith('"') && key.endsWith('"')) key = key.slice(1, -1);
  if (key.trim() === '' || !KEY_PATTERN.test(key)) throw idempotencyErrors.invalid();
  return key;
}

/** JSON with sorted object keys, so the same body sent with another key order has the same fingerprint. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function fingerprint(method: string, url: string, body: unknown): string {
  return crypto.createHash('sha256').update(`${method} ${url}\n${canonicalJson(body ?? null)}`).digest('hex');
}

/**
 * `claimed`: this request runs. `resourceId` is the id to give what it creates; `takeover` means an
 * earlier request with this key died mid-flight (its work may have committed): look for the
 * resource before creating it again.
 */
export type ClaimOutcome = { kind: 'claimed'; resourceId: string; takeover: boolean } | { kind: 'replay'; record: IdempotencyRecord };

export class IdempotencyService {
  readonly repo: IdempotencyRepository;
  private readonly claims: Coalescer<IdempotencyClaim, { claimed: boolean; record?: IdempotencyRecord }>;
  private readonly completions: Coalescer<IdempotencyCompletion, void>;

  constructor(db: Db) {
    this.repo = new IdempotencyRepository(db);
    this.claims = new Coalescer((items) => this.claimBatch(items), { maxBatch: 500, maxWaitMs: 0, maxInFlight: 4 });
    this.completions = new Coalescer<IdempotencyCompletion, void>(
      async (items) => {
        await this.repo.completeKeys(items);
        return items.map(() => undefined);
      },
      { maxBatch: 500, maxWaitMs: 0, maxInFlight: 4 },
    );
  }

  private async claimBatch(items: IdempotencyClaim[]): Promise<{ claimed: boolean; record?: IdempotencyRecord }[]> {
    const id = (c: { scope: string; key: string }) => `${c.scope}\u0000${c.key}`;
    // The same key twice in one batch: only the first tries to insert; the others see its row.
    const first = new Map<string, IdempotencyClaim>();
    for (const c of items) if (!first.has(id(c))) first.set(id(c), c);
    const claimed = await this.repo.insertKeys([...first.values()]);
    const winners = new Set<IdempotencyClaim>();
    for (const [k, c] of first) if (claimed.has(k)) winners.add(c);
    const losers = items.filter((c) => !winners.has(c));
    const records = losers.length ? await this.repo.findKeys(losers, IDEMPOTENCY_STALE_SECONDS) : [];
    const byId = new Map(records.map((r) => [id(r), r]));
    return items.map((c) => (winners.has(c) ? { claimed: true } : { claimed: false, record: byId.get(id(c)) }));
  }

  /** Claim the key for this request, or tell what the earlier request with it produced. */
  async claim(c: IdempotencyClaim): Promise<ClaimOutcome> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const res = await this.claims.submit(c);
      if (res.claimed) return { kind: 'claimed', resourceId: c.resourceId, takeover: false };
      const rec = res.record;
      if (!rec) continue; // released or purged between the insert and the read: try again
      if (rec.fingerprint !== c.fingerprint) throw idempotencyErrors.reused();
      if (rec.status === 'done') return { kind: 'replay', record: rec };
      if (rec.stale && (await this.repo.relockStale(c.scope, c.key, c.fingerprint, IDEMPOTENCY_STALE_SECONDS))) {
        return { kind: 'claimed', resourceId: rec.resource_id ?? c.resourceId, takeover: rec.resource_id !== null };
      }
      throw idempotencyErrors.inUse();
    }
    throw idempotencyErrors.inUse();
  }

  complete(done: IdempotencyCompletion): Promise<void> {
    return this.completions.submit(done);
  }

  release(scope: string, key: string): Promise<void> {
    return this.repo.deleteKey(scope, key);
  }

  purgeExpired(): Promise<number> {
    return this.repo.purgeExpired(IDEMPOTENCY_RETENTION_HOURS);
  }
}

interface RequestState {
  scope: string;
  key: string;
  claimed: boolean;
  settled: boolean;
  resource?: IdempotentResource;
}
const states = new WeakMap<FastifyRequest, RequestState>();

export interface IdempotentResource {
  /** Give what this request creates this id. */
  id: string;
  /** An earlier request with this key died mid-flight: the resource may already exist. */
  takeover: boolean;
}

/** The resource id of an idempotent request (after its key was claimed). */
export function idempotentResource(request: FastifyRequest): IdempotentResource | undefined {
  return states.get(request)?.resource;
}

/** The caller scope a key belongs to: the user, else the client address. */
export function idempotencyScope(request: FastifyRequest): string {
  return request.actor ? `user:${request.actor.userId}` : `anon:${request.ip}`;
}

/** Route hooks that make a POST idempotent. Spread into the route options. */
export function idempotent(service: () => IdempotencyService, log?: Logger) {
  const preValidation: preValidationHookHandler = async (request) => {
    const key = parseIdempotencyKey(request.headers['idempotency-key']);
    states.set(request, { scope: idempotencyScope(request), key, claimed: false, settled: false });
  };
  const preHandler: preHandlerHookHandler = async (request, reply: FastifyReply) => {
    const state = states.get(request);
    if (!state) return;
    const outcome = await service().claim({
      scope: state.scope,
      key: state.key,
      fingerprint: fingerprint(request.method, request.url, request.body),
      method: request.method,
      path: request.url.split('?')[0] ?? request.url,
      resourceId: uuidv7(),
    });
    if (outcome.kind === 'claimed') {
      state.claimed = true;
      state.resource = { id: outcome.resourceId, takeover: outcome.takeover };
      return;
    }
    const rec = outcome.record;
    reply
      .code(rec.response_code ?? 200)
      .header('idempotent-replayed', 'true')
      .type(rec.response_content_type ?? 'application/json; charset=utf-8')
      .send(rec.response_body ?? '');
    return reply;
  };
  const onSend: onSendHookHandler = async (request, reply, payload) => {
    const state = states.get(request);
    if (!state?.claimed || state.settled) return payload;
    state.settled = true;
    const code = reply.statusCode;
    const body = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : null;
    try {
      if (code >= 500 || code === 429 || body === null) await service().release(state.scope, state.key);
      else {
        const ct = reply.getHeader('content-type');
        await service().complete({
          scope: state.scope,
          key: state.key,
          code,
          body,
          contentType: typeof ct === 'string' ? ct : 'application/json; charset=utf-8',
        });
      }
    } catch (err) {
      // The response itself is fine; the key stays in progress and becomes claimable once stale.
      (log ?? request.log).error({ err, key: state.key }, 'could not record the idempotent response');
    }
    return payload;
  };
  return { preValidation, preHandler, onSend };
}
