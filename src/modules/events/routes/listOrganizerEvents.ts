import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { IdParams, json, problems } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { EventPage, EventStatusSchema, eventListQuery } from '../events.schemas.js';

const Query = Type.Object({ ...eventListQuery, status: Type.Optional(EventStatusSchema) }, { additionalProperties: false });

export function listOrganizerEvents(app: FastifyInstance) {
  app.get('/organizers/:id/events', {
    schema: {
      summary: "List an organizer's events, drafts included (members)",
      tags: ['events'],
      operationId: 'listOrganizerEvents',
      security: bearer,
      params: IdParams,
      querystring: Query,
      response: { 200: json(EventPage), ...problems(400, 401, 404) },
    },
    handler: async (request) => {
      const { id } = request.params as Static<typeof IdParams>;
      return app.ctx.events.listOrganizerEvents(requireActor(request), id, request.query as Static<typeof Query>);
    },
  });
}
