import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { json, problems } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { CommissionBps, Organizer, OrganizerName } from '../organizers.schemas.js';

const Body = Type.Object({ name: OrganizerName, commissionBps: Type.Optional(CommissionBps) }, { additionalProperties: false });

export function createOrganizer(app: FastifyInstance) {
  app.post('/organizers', {
    schema: {
      summary: 'Create an organizer (platform admin)',
      tags: ['organizers'],
      operationId: 'createOrganizer',
      security: bearer,
      body: Body,
      response: { 201: json(Organizer, 'Created'), ...problems(400, 401, 403, 409) },
    },
    handler: async (request, reply) => {
      const body = request.body as Static<typeof Body>;
      const organizer = await app.ctx.organizers.create(requireActor(request), body, {}, { requestId: request.id });
      return reply.code(201).send(organizer);
    },
  });
}
