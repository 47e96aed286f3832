import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { IdParams, json, problems } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { CheckinListSchema } from '../tickets.schemas.js';

export function listCheckinLists(app: FastifyInstance) {
  app.get('/events/:id/checkin-lists', {
    schema: {
      summary: 'The event’s check-in lists (organizer members, gate staff included)',
      tags: ['check-in'],
      operationId: 'listCheckinLists',
      security: bearer,
      params: IdParams,
      response: { 200: json(Type.Object({ items: Type.Array(CheckinListSchema) })), ...problems(400, 401, 403, 404) },
    },
    handler: async (request) => {
      const { id } = request.params as Static<typeof IdParams>;
      return { items: await app.ctx.checkin.listLists(requireActor(request), id) };
    },
  });
}
