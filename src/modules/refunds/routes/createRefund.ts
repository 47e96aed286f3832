import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { IdParams, json, problems, Uuid } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { idempotent, IdempotencyHeaders } from '../../../platform/http/idempotency.js';
import { RefundSchema } from '../refunds.schemas.js';

const Body = Type.Object(
  {
    items: Type.Optional(
      Type.Array(
        Type.Object({ ticketTypeId: Uuid(), quantity: Type.Integer({ minimum: 1, maximum: 100_000 }) }, { additionalProperties: false }),
        { minItems: 1, maxItems: 50, description: 'Tickets to refund; leave out to refund everything not yet refunded' },
      ),
    ),
    note: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

export function createRefund(app: FastifyInstance) {
  app.post('/bookings/:id/refunds', {
    ...idempotent(() => app.ctx.idempotency),
    schema: {
      summary: 'Refund a confirmed booking, fully or per ticket',
      description:
        'Owners and managers of the event’s organizer, and admins. Requires an Idempotency-Key. Body `{}` refunds everything not yet refunded. ' +
        'The refunded tickets go back on sale at once; ' +
        'the booking becomes refunded or partially_refunded; the provider pays the money back in the background (status pending → succeeded / failed). ' +
        'Booking not confirmed → 409 booking_not_refundable; more tickets than remain → 409 refund_exceeds_remaining.',
      tags: ['refunds'],
      operationId: 'createRefund',
      security: bearer,
      headers: IdempotencyHeaders,
      params: IdParams,
      body: Body,
      response: { 201: json(RefundSchema, 'Refund created (provider refund pending)'), ...problems(400, 401, 403, 404, 409, 422, 503) },
    },
    handler: async (request, reply) => {
      const { id } = request.params as Static<typeof IdParams>;
      const refund = await app.ctx.refunds.create(requireActor(request), id, (request.body ?? {}) as Static<typeof Body>);
      return reply.code(201).send(refund);
    },
  });
}
