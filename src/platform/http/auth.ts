import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor } from '../actor.js';
import { errors } from '../errors.js';
import type { Tokens } from '../../modules/identity/tokens.js';

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
 * A present but invalid token is a 401, never silently anonymous.
 */
export function registerAuth(app: FastifyInstance, tokens: Tokens) {
  app.decorateRequest('actor', null);
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    if (!header || request.routeOptions.config?.ownAuthorization) return;
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) throw errors.invalidToken();
    const actor = await tokens.verifyAccess(match[1]);
    if (!actor) throw errors.invalidToken();
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
