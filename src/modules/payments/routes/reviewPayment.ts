import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { IdParams, json, problems } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { PaymentSchema } from '../payments.schemas.js';

const Body = Type.Object(
  {
    decision: Type.Union([Type.Literal('approve'), Type.Literal('reject')]),
    note: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);

export function reviewPayment(app: FastifyInstance) {
  app.post('/admin/payments/:id/review', {
    schema: {
      summary: 'Resolve a flagged payment: approve or reject (admins)',
      description:
        'approve clears the flag. reject records the decision; a payment still pending is marked failed (review_rejected) and is no ' +
        'longer polled. A rejected payment that already succeeded is NOT undone here: `refundRecommended` is true and the admin ' +
        'refunds the booking through POST /bookings/{id}/refunds. 409 review_not_pending when it is not waiting for a review.',
      tags: ['payments'],
      operationId: 'reviewPayment',
      security: bearer,
      params: IdParams,
      body: Body,
      response: {
        200: json(Type.Intersect([PaymentSchema, Type.Object({ refundRecommended: Type.Boolean() })])),
        ...problems(400, 401, 403, 404, 409),
      },
    },
    handler: async (request) => {
      const actor = requireActor(request);
      const { id } = request.params as { id: string };
      return app.ctx.payments.review(actor, id, request.body as Type.Static<typeof Body>);
    },
  });
}
