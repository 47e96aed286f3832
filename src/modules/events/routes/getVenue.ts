import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { IdParams, json, problems } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { Venue } from '../events.schemas.js';

export function getVenue(app: FastifyInstance) {
  app.get('/venues/:id', {
    schema: {
      summary: 'Get a venue (members of its organizer)',
      tags: ['venues'],
      operationId: 'getVenue',
      security: bearer,
      params: IdParams,
      response: { 200: json(Venue), ...problems(400, 401, 404) },
    },
    handler: async (request) => {
      const { id } = request.params as Static<typeof IdParams>;
      return app.ctx.events.getVenue(requireActor(request), id);
    },
  });
}
