import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { problems, Uuid } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';

const Params = Type.Object({ id: Uuid(), userId: Uuid() }, { additionalProperties: false });

export function removeMember(app: FastifyInstance) {
  app.delete('/organizers/:id/members/:userId', {
    schema: {
      summary: 'Remove a member (owners and admins); the last owner cannot be removed',
      tags: ['organizers'],
      operationId: 'removeOrganizerMember',
      security: bearer,
      params: Params,
      response: { 204: { description: 'Removed', type: 'null' }, ...problems(400, 401, 403, 404, 409) },
    },
    handler: async (request, reply) => {
      const { id, userId } = request.params as Static<typeof Params>;
      await app.ctx.organizers.removeMember(requireActor(request), id, userId, { requestId: request.id });
      return reply.code(204).send();
    },
  });
}
