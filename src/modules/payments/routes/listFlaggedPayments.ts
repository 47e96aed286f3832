import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { json, Pagination, problems, Uuid } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { PaymentSchema } from '../payments.schemas.js';

const Query = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(Uuid('nextCursor of the previous page')),
  },
  { additionalProperties: false },
);

export function listFlaggedPayments(app: FastifyInstance) {
  app.get('/admin/payments/flagged', {
    schema: {
      summary: 'Payments flagged by the fraud checks and waiting for a review, newest first (admins)',
      tags: ['payments'],
      operationId: 'listFlaggedPayments',
      security: bearer,
      querystring: Query,
      response: { 200: json(Type.Intersect([Type.Object({ items: Type.Array(PaymentSchema) }), Pagination])), ...problems(400, 401, 403) },
    },
    handler: async (request) => {
      const actor = requireActor(request);
      return app.ctx.payments.listFlagged(actor, request.query as { limit: number; cursor?: string });
    },
  });
}
