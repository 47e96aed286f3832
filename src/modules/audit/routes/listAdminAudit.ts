import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { json, problems, Uuid } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { AuditPage, AuditQueryBase } from '../audit.schemas.js';

const Query = Type.Object(
  {
    ...AuditQueryBase,
    organizerId: Type.Optional(Uuid()),
    actorUserId: Type.Optional(Uuid()),
    targetType: Type.Optional(Type.String({ minLength: 1, maxLength: 50, pattern: '^[a-z_]+$' })),
    targetId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false },
);

export function listAdminAudit(app: FastifyInstance) {
  app.get('/admin/audit', {
    schema: {
      summary: 'The whole audit log, newest first (platform admins)',
      tags: ['audit', 'admin'],
      operationId: 'listAdminAudit',
      security: bearer,
      querystring: Query,
      response: { 200: json(AuditPage), ...problems(400, 401, 403) },
    },
    handler: async (request) => app.ctx.audit.listAll(requireActor(request), request.query as Static<typeof Query>),
  });
}
