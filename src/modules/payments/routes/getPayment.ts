import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { IdParams, json, problems } from '../../../platform/http/schemas.js';
import { bearer } from '../../../platform/http/auth.js';
import { PaymentSchema } from '../payments.schemas.js';

const Headers = Type.Object({ 'x-booking-token': Type.Optional(Type.String({ maxLength: 200, description: 'The bookingAccessToken a guest received' })) });
const Query = Type.Object(
  { token: Type.Optional(Type.String({ maxLength: 200, description: 'The bookingAccessToken (alternative to the header)' })) },
  { additionalProperties: false },
);

export function getPayment(app: FastifyInstance) {
  app.get('/payments/:id', {
    schema: {
      summary: 'A payment and its status (the buyer, a guest with the booking token, the organizer’s members, admins)',
      tags: ['payments'],
      operationId: 'getPayment',
      security: [...bearer, {}],
      params: IdParams,
      headers: Headers,
      querystring: Query,
      response: { 200: json(PaymentSchema), ...problems(400, 401, 404) },
    },
    handler: async (request) => {
      const { id } = request.params as { id: string };
      const token = (request.headers['x-booking-token'] as string | undefined) ?? (request.query as { token?: string }).token;
      return app.ctx.payments.get(request.actor, id, token);
    },
  });
}
