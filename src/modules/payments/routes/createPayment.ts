import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { IdParams, json, problems } from '../../../platform/http/schemas.js';
import { bearer } from '../../../platform/http/auth.js';
import { idempotent, IdempotencyHeaders } from '../../../platform/http/idempotency.js';
import { PaymentMethodSchema, PaymentSchema } from '../payments.schemas.js';

const Body = Type.Object(
  {
    method: PaymentMethodSchema,
    phone: Type.Optional(
      Type.String({ minLength: 3, maxLength: 32, description: 'momo only: the payer’s mobile number in international format (default: the booking’s buyer phone)' }),
    ),
  },
  { additionalProperties: false },
);

const Headers = Type.Intersect([
  IdempotencyHeaders,
  Type.Object({ 'x-booking-token': Type.Optional(Type.String({ maxLength: 200, description: 'The bookingAccessToken a guest received' })) }),
]);

export function createPayment(app: FastifyInstance) {
  app.post('/bookings/:id/payments', {
    ...idempotent(() => app.ctx.idempotency),
    config: { rateLimitTier: 'payments' },
    schema: {
      summary: 'Pay for a pending booking (mobile money push or card)',
      description:
        'Requires an Idempotency-Key. The buyer, a guest with the booking token, or an admin. Answers 201 with a pending payment and ' +
        'what to do next (momo: approve on the phone; card: confirm with the Stripe client secret). The outcome arrives by webhook or ' +
        'polling: read GET /payments/{id}. 409 booking_not_pending / hold_expired; 403 payment_blocked (fraud checks); ' +
        '422 payment_method_unavailable / payment_rejected; 503 provider_unavailable (retry later, see Retry-After).',
      tags: ['payments'],
      operationId: 'createPayment',
      security: [...bearer, {}],
      params: IdParams,
      headers: Headers,
      body: Body,
      response: { 201: json(PaymentSchema, 'Payment started (pending)'), ...problems(400, 401, 403, 404, 409, 422, 429, 503) },
    },
    handler: async (request, reply) => {
      const { id } = request.params as { id: string };
      const token = request.headers['x-booking-token'] as string | undefined;
      const payment = await app.ctx.payments.create(request.actor, id, token, request.body as Type.Static<typeof Body>, request.ip ?? null);
      return reply.code(201).header('location', `/api/v1/payments/${payment.id}`).send(payment);
    },
  });
}
