import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { json, problems, Uuid } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { User } from '../identity.schemas.js';

const Me = Type.Object({
  ...User.properties,
  memberships: Type.Array(
    Type.Object({
      organizerId: Uuid(),
      organizerName: Type.String(),
      role: Type.Union([Type.Literal('owner'), Type.Literal('manager'), Type.Literal('gate')]),
    }),
    { description: 'The organizers this user belongs to and their role in each. Empty for a buyer.' },
  ),
});

export function getMe(app: FastifyInstance) {
  app.get('/me', {
    schema: {
      summary: 'The signed-in user, with platform role and organizer memberships',
      tags: ['auth'],
      operationId: 'getMe',
      security: bearer,
      response: { 200: json(Me), ...problems(401) },
    },
    handler: async (request) => app.ctx.identity.me(requireActor(request)),
  });
}
