import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { IdParams, json, problems } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { RefundSchema } from '../refunds.schemas.js';

export function listRefunds(app: FastifyInstance) {
  app.get('/bookings/:id/refunds', {
    schema: {
      summary: 'The refunds of a booking, oldest first',
      description: 'The booking’s buyer, the organizer’s members and admins.',
      tags: ['refunds'],
      operationId: 'listBookingRefunds',
      security: bearer,
      params: IdParams,
      response: { 200: json(Type.Object({ items: Type.Array(RefundSchema) })), ...problems(400, 401, 404) },
    },
    handler: async (request) => {
      const { id } = request.params as Static<typeof IdParams>;
      return { items: await app.ctx.refunds.list(requireActor(request), id) };
    },
  });
}
