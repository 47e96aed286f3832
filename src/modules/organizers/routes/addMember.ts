import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { IdParams, json, problems } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { Member, MemberRoleSchema } from '../organizers.schemas.js';

const Body = Type.Object(
  {
    email: Type.String({ format: 'email', maxLength: 254, description: 'The email of an existing account' }),
    role: MemberRoleSchema,
  },
  { additionalProperties: false },
);

export function addMember(app: FastifyInstance) {
  app.post('/organizers/:id/members', {
    schema: {
      summary: 'Add a member by email with a role (owners and admins)',
      description: 'The person must already have an account (404 user_not_found otherwise); 409 already_member if they are one.',
      tags: ['organizers'],
      operationId: 'addOrganizerMember',
      security: bearer,
      params: IdParams,
      body: Body,
      response: { 201: json(Member, 'Added'), ...problems(400, 401, 403, 404, 409) },
    },
    handler: async (request, reply) => {
      const { id } = request.params as Static<typeof IdParams>;
      const member = await app.ctx.organizers.addMember(requireActor(request), id, request.body as Static<typeof Body>, { requestId: request.id });
      return reply.code(201).send(member);
    },
  });
}
