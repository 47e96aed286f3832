import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { IdParams, json, problems } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { TicketKeySchema } from '../tickets.schemas.js';

export function getTicketKey(app: FastifyInstance) {
  app.get('/events/:id/ticket-key', {
    schema: {
      summary: 'The event’s public key for verifying QR payloads offline (organizer members, gate staff included)',
      description: 'Generated on first need. A payload verifies with this key alone: Ed25519 over "TK1" followed by the decoded body.',
      tags: ['check-in'],
      operationId: 'getTicketKey',
      security: bearer,
      params: IdParams,
      response: { 200: json(TicketKeySchema), ...problems(400, 401, 403, 404) },
    },
    handler: async (request) => {
      const { id } = request.params as Static<typeof IdParams>;
      return app.ctx.tickets.publicKeyOf(requireActor(request), id);
    },
  });
}
