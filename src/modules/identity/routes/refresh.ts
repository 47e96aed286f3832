import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { json, problems } from '../../../platform/http/schemas.js';
import { RefreshTokenBody, Session } from '../identity.schemas.js';

export function refresh(app: FastifyInstance) {
  app.post<{ Body: Static<typeof RefreshTokenBody> }>('/auth/refresh', {
    schema: {
      summary: 'Exchange a refresh token for a new access and refresh token',
      description:
        'Refresh tokens are single use. Presenting one that was already exchanged revokes every session of its ' +
        'family (401 `refresh_token_reused`); an unknown, expired or revoked one is 401 `invalid_refresh_token`.',
      tags: ['auth'],
      operationId: 'refreshSession',
      body: RefreshTokenBody,
      response: { 200: json(Session, 'A new session pair'), ...problems(400, 401, 413, 415) },
    },
    handler: async (request) => app.ctx.identity.refresh(request.body.refreshToken),
  });
}
