import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { json, problems } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { AdminUser, pageOf, SearchQuery, UserStatus } from '../admin.schemas.js';

const Query = Type.Object({ ...SearchQuery, status: Type.Optional(UserStatus) }, { additionalProperties: false });

export function listUsers(app: FastifyInstance) {
  app.get('/admin/users', {
    schema: {
      summary: 'Search users by email or name (platform admins)',
      tags: ['admin'],
      operationId: 'adminListUsers',
      security: bearer,
      querystring: Query,
      response: { 200: json(pageOf(AdminUser)), ...problems(400, 401, 403) },
    },
    handler: async (request) => app.ctx.admin.listUsers(requireActor(request), request.query as Static<typeof Query>),
  });
}
