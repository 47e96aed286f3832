import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { IdParams, json, problems } from '../../../platform/http/schemas.js';
import { EventDetail } from '../events.schemas.js';

export function getEvent(app: FastifyInstance) {
  app.get('/events/:id', {
    schema: {
      summary: 'An event with its venue and ticket types with current availability',
      description:
        'Anonymous callers see published, completed and cancelled events and public ticket types; members of the organizer also see drafts and hidden ticket types.',
      tags: ['events'],
      operationId: 'getEvent',
      params: IdParams,
      response: { 200: json(EventDetail), ...problems(400, 401, 404) },
    },
    handler: async (request) => {
      const { id } = request.params as Static<typeof IdParams>;
      return app.ctx.events.getEvent(request.actor, id);
    },
  });
}
