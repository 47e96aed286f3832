import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { IdParams, json, problems } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { Venue } from '../events.schemas.js';

const List = Type.Object({ items: Type.Array(Venue) });

export function listVenues(app: FastifyInstance) {
  app.get('/organizers/:id/venues', {
    schema: {
      summary: "List an organizer's venues (members)",
      tags: ['venues'],
      operationId: 'listVenues',
      security: bearer,
      params: IdParams,
      response: { 200: json(List), ...problems(400, 401, 404) },
    },
    handler: async (request) => {
      const { id } = request.params as Static<typeof IdParams>;
      return { items: await app.ctx.events.listVenues(requireActor(request), id) };
    },
  });
}
