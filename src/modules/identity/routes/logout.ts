import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { problems } from '../../../platform/http/schemas.js';
import { RefreshTokenBody } from '../identity.schemas.js';

export function logout(app: FastifyInstance) {
  app.post<{ Body: Static<typeof RefreshTokenBody> }>('/auth/logout', {
    schema: {
      summary: 'End a session',
      description: 'Revokes the refresh token and every token rotated from the same login. Idempotent.',
      tags: ['auth'],
      operationId: 'logout',
      body: RefreshTokenBody,
      response: { 204: { description: 'Session ended', type: 'null' }, ...problems(400, 413, 415) },
    },
    handler: async (request, reply) => {
      await app.ctx.identity.logout(request.body.refreshToken);
      return reply.code(204).send();
    },
  });
}
