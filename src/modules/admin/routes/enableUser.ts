import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { IdParams, json, problems } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { AdminUserDetail } from '../admin.schemas.js';

export function enableUser(app: FastifyInstance) {
  app.post('/admin/users/:id/enable', {
    schema: {
      summary: 'Enable a disabled user again (platform admins)',
      description: 'They log in again (old sessions stay revoked). Idempotent. A deleted account cannot be enabled (409 `user_deleted`).',
      tags: ['admin'],
      operationId: 'adminEnableUser',
      security: bearer,
      params: IdParams,
      response: { 200: json(AdminUserDetail), ...problems(400, 401, 403, 404, 409) },
    },
    handler: async (request) =>
      app.ctx.admin.enableUser(requireActor(request), (request.params as Static<typeof IdParams>).id, { requestId: request.id }),
  });
}
