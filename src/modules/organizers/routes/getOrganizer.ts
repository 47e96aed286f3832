import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { IdParams, json, problems } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { Organizer } from '../organizers.schemas.js';

export function getOrganizer(app: FastifyInstance) {
  app.get('/organizers/:id', {
    schema: {
      summary: 'Get an organizer (members and admins)',
      tags: ['organizers'],
      operationId: 'getOrganizer',
      security: bearer,
      params: IdParams,
      response: { 200: json(Organizer), ...problems(400, 401, 404) },
    },
    handler: async (request) => {
      const { id } = request.params as Static<typeof IdParams>;
      return app.ctx.organizers.get(requireActor(request), id);
    },
  });
}
