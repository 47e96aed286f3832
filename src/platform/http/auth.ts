import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor } from '../actor.js';
import { errors } from '../errors.js';
import type { Tokens } from '../../modules/identity/tokens.js';
import { identityErrors } from '../../modules/identity/identity.errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | null;
  }
  interface FastifyContextConfig {
    /** The route reads Authorization itself (the MoMo sandbox's Basic/Bearer): no Tikiti token check. */
    ownAuthorization?: boolean;
  }
}

/**
 * Reads `Authorization: Bearer <jwt>` on every request and sets `request.actor` (null when absent).
 * A present but invalid token is a 401, never silently anonymous. A valid token of an account
 * disabled (or deleted) since it was issued is a 401 `account_disabled`: `isDisabled` answers from
 * a set of disabled ids each process refreshes at most every AUTH_DISABLED_CACHE_MS (1 s).
 */
export function registerAuth(app: FastifyInstance, tokens: Tokens, isDisabled?: (userId: string) => Promise<boolean>) {
  app.decorateRequest('actor', null);
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    if (!header || request.routeOptions.config?.ownAuthorization) return;
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) throw errors.invalidToken();
    const actor = await tokens.verifyAccess(match[1]);
    if (!actor) throw errors.invalidToken();
    if (isDisabled && (await isDisabled(actor.userId))) throw identityErrors.tokenOfDisabledAccount();
    request.actor = actor;
  });
}

/** The caller, or 401 when the request is anonymous. */
export function requireActor(request: FastifyRequest): Actor {
  if (!request.actor) throw errors.unauthenticated();
  return request.actor;
}

/** OpenAPI security requirement for routes that need a bearer token. */
export const bearer = [{ bearerAuth: [] }];
