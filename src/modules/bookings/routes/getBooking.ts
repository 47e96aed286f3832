import type { FastifyInstance } from 'fastify';
import { IdParams, json, problems } from '../../../platform/http/schemas.js';
import { bearer } from '../../../platform/http/auth.js';
import { BookingSchema, BookingTokenHeaders, BookingTokenQuery } from '../bookings.schemas.js';

export function getBooking(app: FastifyInstance) {
  app.get('/bookings/:id', {
    schema: {
      summary: 'A booking (its buyer, a guest with its token, or the organizer’s members)',
      tags: ['bookings'],
      operationId: 'getBooking',
      security: [...bearer, {}],
      params: IdParams,
      headers: BookingTokenHeaders,
      querystring: BookingTokenQuery,
      response: { 200: json(BookingSchema), ...problems(400, 401, 404) },
    },
    handler: async (request) => {
      const { id } = request.params as { id: string };
      const token = (request.headers['x-booking-token'] as string | undefined) ?? (request.query as { token?: string }).token;
      return app.ctx.bookings.get(request.actor, id, token);
    },
  });
}
