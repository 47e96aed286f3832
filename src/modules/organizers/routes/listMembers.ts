import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { IdParams, json, problems } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { Member } from '../organizers.schemas.js';

const List = Type.Object({ items: Type.Array(Member) });

export function listMembers(app: FastifyInstance) {
  app.get('/organizers/:id/members', {
    schema: {
      summary: 'List the members of an organizer',
      tags: ['organizers'],
      operationId: 'listOrganizerMembers',
      security: bearer,
      params: IdParams,
      response: { 200: json(List), ...problems(400, 401, 404) },
    },
    handler: async (request) => {
      const { id } = request.params as Static<typeof IdParams>;
      return { items: await app.ctx.organizers.listMembers(requireActor(request), id) };
    },
  });
}
