import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { IdParams, json, problems } from '../../../platform/http/schemas.js';
import { TicketType } from '../events.schemas.js';

const List = Type.Object({ items: Type.Array(TicketType) });

export function listTicketTypes(app: FastifyInstance) {
  app.get('/events/:id/ticket-types', {
    schema: {
      summary: "An event's ticket types with current availability",
      description: 'Public ticket types of visible events for everyone; members also see hidden ones, drafts, and held/sold counts.',
      tags: ['ticket-types'],
      operationId: 'listTicketTypes',
      params: IdParams,
      response: { 200: json(List), ...problems(400, 401, 404) },
    },
    handler: async (request) => {
      const { id } = request.params as Static<typeof IdParams>;
      return { items: await app.ctx.events.listTicketTypes(request.actor, id) };
    },
  });
}
