import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { IdParams, json, problems } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { CommissionBps, Organizer, OrganizerName } from '../organizers.schemas.js';

const Body = Type.Object(
  { name: Type.Optional(OrganizerName), commissionBps: Type.Optional(CommissionBps) },
  { additionalProperties: false, minProperties: 1 },
);

export function updateOrganizer(app: FastifyInstance) {
  app.patch('/organizers/:id', {
    schema: {
      summary: 'Update an organizer: owners rename it, only a platform admin changes the commission',
      tags: ['organizers'],
      operationId: 'updateOrganizer',
      security: bearer,
      params: IdParams,
      body: Body,
      response: { 200: json(Organizer), ...problems(400, 401, 403, 404) },
    },
    handler: async (request) => {
      const { id } = request.params as Static<typeof IdParams>;
      return app.ctx.organizers.update(requireActor(request), id, request.body as Static<typeof Body>, { requestId: request.id });
    },
  });
}
