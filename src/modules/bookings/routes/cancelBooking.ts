import type { FastifyInstance } from 'fastify';
import { IdParams, json, problems } from '../../../platform/http/schemas.js';
import { bearer } from '../../../platform/http/auth.js';
import { BookingSchema, BookingTokenHeaders, BookingTokenQuery } from '../bookings.schemas.js';

export function cancelBooking(app: FastifyInstance) {
  app.patch('/bookings/:id/cancel', {
    schema: {
      summary: 'Cancel a pending booking; its tickets go back on sale at once',
      description: 'Only a pending booking can be cancelled (409 booking_not_pending otherwise); refunds of paid bookings come with payments.',
      tags: ['bookings'],
      operationId: 'cancelBooking',
      security: [...bearer, {}],
      params: IdParams,
      headers: BookingTokenHeaders,
      querystring: BookingTokenQuery,
      response: { 200: json(BookingSchema), ...problems(400, 401, 403, 404, 409) },
    },
    handler: async (request) => {
      const { id } = request.params as { id: string };
      const token = (request.headers['x-booking-token'] as string | undefined) ?? (request.query as { token?: string }).token;
      return app.ctx.bookings.cancel(request.actor, id, token);
    },
  });
}
