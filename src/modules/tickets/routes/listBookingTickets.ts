import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { IdParams, json, problems } from '../../../platform/http/schemas.js';
import { bearer } from '../../../platform/http/auth.js';
import { BookingTokenHeaders, BookingTokenQuery } from '../../bookings/bookings.schemas.js';
import { BookingTicketsSchema } from '../tickets.schemas.js';

export const bookingToken = (request: { headers: Record<string, unknown>; query: unknown }) =>
  (request.headers['x-booking-token'] as string | undefined) ?? (request.query as { token?: string }).token;

export function listBookingTickets(app: FastifyInstance) {
  app.get('/bookings/:id/tickets', {
    schema: {
      summary: 'A booking’s tickets with their signed QR payloads (its buyer, a guest with its token, the organizer’s members)',
      tags: ['tickets'],
      operationId: 'listBookingTickets',
      security: [...bearer, {}],
      params: IdParams,
      headers: BookingTokenHeaders,
      querystring: BookingTokenQuery,
      response: { 200: json(BookingTicketsSchema), ...problems(400, 401, 404) },
    },
    handler: async (request) => {
      const { id } = request.params as Static<typeof IdParams>;
      return app.ctx.tickets.listForBooking(request.actor, id, bookingToken(request));
    },
  });
}
