import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { IdParams, json, problems } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { CheckinListSchema, Gates, ListName, TicketTypeIds } from '../tickets.schemas.js';

const Body = Type.Object(
  { name: Type.Optional(ListName), ticketTypeIds: Type.Optional(TicketTypeIds), gates: Type.Optional(Gates) },
  { additionalProperties: false, minProperties: 1 },
);

export function updateCheckinList(app: FastifyInstance) {
  app.patch('/checkin-lists/:id', {
    schema: {
      summary: 'Change a check-in list’s name, ticket types or gates (owners and managers)',
      description: 'Offline devices should download the list again from the start when its updatedAt changes.',
      tags: ['check-in'],
      operationId: 'updateCheckinList',
      security: bearer,
      params: IdParams,
      body: Body,
      response: { 200: json(CheckinListSchema), ...problems(400, 401, 403, 404) },
    },
    handler: async (request) => {
      const { id } = request.params as Static<typeof IdParams>;
      return app.ctx.checkin.updateList(requireActor(request), id, request.body as Static<typeof Body>);
    },
  });
}
