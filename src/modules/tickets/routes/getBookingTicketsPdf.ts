import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { IdParams, problems } from '../../../platform/http/schemas.js';
import { bearer } from '../../../platform/http/auth.js';
import { BookingTokenHeaders, BookingTokenQuery } from '../../bookings/bookings.schemas.js';
import { Binary } from '../tickets.schemas.js';
import { bookingToken } from './listBookingTickets.js';

export function getBookingTicketsPdf(app: FastifyInstance) {
  app.get('/bookings/:id/tickets.pdf', {
    schema: {
      summary: 'The booking’s valid tickets as a PDF, one page per ticket',
      description: 'Event, venue, date in the venue’s time zone, ticket type, holder, code and QR. No valid tickets → 409 tickets_not_issued.',
      tags: ['tickets'],
      operationId: 'getBookingTicketsPdf',
      security: [...bearer, {}],
      params: IdParams,
      headers: BookingTokenHeaders,
      querystring: BookingTokenQuery,
      response: { 200: Binary('application/pdf', 'The tickets'), ...problems(400, 401, 404, 409) },
    },
    handler: async (request, reply) => {
      const { id } = request.params as Static<typeof IdParams>;
      const pdf = await app.ctx.tickets.pdfOf(request.actor, id, bookingToken(request));
      return reply
        .type('application/pdf')
        .header('content-disposition', `inline; filename="tickets-${id.slice(0, 8)}.pdf"`)
        .header('cache-control', 'private, no-store')
        .send(pdf);
    },
  });
}
