import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { IdParams, json, problems } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { ListTicketsSchema } from '../tickets.schemas.js';

const Query = Type.Object(
  {
    since: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'nextCursor of the previous download; absent = from the start' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, default: 1000 })),
  },
  { additionalProperties: false },
);

export function listCheckinListTickets(app: FastifyInstance) {
  app.get('/checkin-lists/:id/tickets', {
    schema: {
      summary: 'Download a list’s tickets and revocations for offline scanning (changes since a cursor)',
      description:
        'Tickets and revocations in the order they changed; page with nextCursor while hasMore, then keep the last cursor and ask again later ' +
        'for what changed since. Includes the event’s public key. Every issuance and revocation bumps the event’s sync version under a row ' +
        'lock, so versions become visible in order and a cursor never skips a change.',
      tags: ['check-in'],
      operationId: 'listCheckinListTickets',
      security: bearer,
      params: IdParams,
      querystring: Query,
      response: { 200: json(ListTicketsSchema), ...problems(400, 401, 403, 404) },
    },
    handler: async (request) => {
      const { id } = request.params as Static<typeof IdParams>;
      const q = request.query as Static<typeof Query>;
      return app.ctx.checkin.download(requireActor(request), id, { since: q.since, limit: q.limit ?? 1000 });
    },
  });
}
