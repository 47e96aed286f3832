import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { json, problems, Uuid } from '../../../platform/http/schemas.js';
import { City, EventPage, eventListQuery } from '../events.schemas.js';

const Query = Type.Object(
  { ...eventListQuery, city: Type.Optional(City), organizerId: Type.Optional(Uuid()) },
  { additionalProperties: false },
);

export function listEvents(app: FastifyInstance) {
  app.get('/events', {
    schema: {
      summary: 'The public catalogue: published events',
      description:
        'Anonymous access. Ordered by start time; filter by date range, city (case-insensitive), organizer and free text. ' +
        'Cursor pagination: pass the returned nextCursor as cursor.',
      tags: ['events'],
      operationId: 'listEvents',
      querystring: Query,
      response: { 200: json(EventPage), ...problems(400, 401) },
    },
    handler: async (request) => app.ctx.events.listPublishedEvents(request.query as Static<typeof Query>),
  });
}
