import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { IdParams, json, problems } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { AdminUserDetail } from '../admin.schemas.js';

export function disableUser(app: FastifyInstance) {
  app.post('/admin/users/:id/disable', {
    schema: {
      summary: 'Disable a user: their sessions end and their tokens stop working (platform admins)',
      description:
        'Revokes every refresh token; access tokens already issued answer 401 `account_disabled` at once on this ' +
        'server and within AUTH_DISABLED_CACHE_MS (1 s) on the others. Idempotent. You cannot disable yourself (409 `cannot_disable_self`).',
      tags: ['admin'],
      operationId: 'adminDisableUser',
      security: bearer,
      params: IdParams,
      response: { 200: json(AdminUserDetail), ...problems(400, 401, 403, 404, 409) },
    },
    handler: async (request) =>
      app.ctx.admin.disableUser(requireActor(request), (request.params as Static<typeof IdParams>).id, { requestId: request.id }),
  });
}
