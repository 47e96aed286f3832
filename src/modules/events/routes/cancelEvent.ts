import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { IdParams, json, problems } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { Event } from '../events.schemas.js';

export function cancelEvent(app: FastifyInstance) {
  app.post('/events/:id/cancel', {
    schema: {
      summary: 'Cancel a draft or published event',
      description: 'Status moves only draft → published → completed, or draft/published → cancelled (409 invalid_status_transition otherwise).',
      tags: ['events'],
      operationId: 'cancelEvent',
      security: bearer,
      params: IdParams,
      response: { 200: json(Event), ...problems(400, 401, 403, 404, 409) },
    },
    handler: async (request) => {
      const { id } = request.params as Static<typeof IdParams>;
      return app.ctx.events.cancelEvent(requireActor(request), id, { requestId: request.id });
    },
  });
}
