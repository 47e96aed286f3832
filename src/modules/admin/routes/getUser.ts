import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { IdParams, json, problems } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { AdminUserDetail } from '../admin.schemas.js';

export function getUser(app: FastifyInstance) {
  app.get('/admin/users/:id', {
    schema: {
      summary: 'A user with memberships, booking counts and live sessions (platform admins)',
      tags: ['admin'],
      operationId: 'adminGetUser',
      security: bearer,
      params: IdParams,
      response: { 200: json(AdminUserDetail), ...problems(400, 401, 403, 404) },
    },
    handler: async (request) => app.ctx.admin.getUser(requireActor(request), (request.params as Static<typeof IdParams>).id),
  });
}
