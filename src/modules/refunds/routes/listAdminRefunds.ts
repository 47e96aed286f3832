import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { json, Pagination, problems, Uuid } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { RefundSchema, RefundStatusSchema } from '../refunds.schemas.js';

const Query = Type.Object(
  {
    status: Type.Optional(RefundStatusSchema),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    cursor: Type.Optional(Uuid('nextCursor of the previous page')),
  },
  { additionalProperties: false },
);

export function listAdminRefunds(app: FastifyInstance) {
  app.get('/admin/refunds', {
    schema: {
      summary: 'Admin: refunds by status, newest first',
      description: 'status=failed lists the refunds the provider did not pay (with failureReason): an operator must act on them.',
      tags: ['refunds'],
      operationId: 'listAdminRefunds',
      security: bearer,
      querystring: Query,
      response: { 200: json(Type.Intersect([Type.Object({ items: Type.Array(RefundSchema) }), Pagination])), ...problems(400, 401, 403) },
    },
    handler: async (request) => app.ctx.refunds.listForAdmin(requireActor(request), request.query as Static<typeof Query>),
  });
}
