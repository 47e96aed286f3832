import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { IdParams, problems } from '../../../platform/http/schemas.js';
import { bearer } from '../../../platform/http/auth.js';
import { BookingTokenHeaders, BookingTokenQuery } from '../../bookings/bookings.schemas.js';
import { Binary } from '../tickets.schemas.js';
import { bookingToken } from './listBookingTickets.js';

export function getTicketQr(app: FastifyInstance) {
  app.get('/tickets/:id/qr.png', {
    schema: {
      summary: 'The ticket’s QR code as a PNG (whoever may read its booking)',
      description: 'A revoked ticket has no QR code: 409 ticket_revoked.',
      tags: ['tickets'],
      operationId: 'getTicketQr',
      security: [...bearer, {}],
      params: IdParams,
      headers: BookingTokenHeaders,
      querystring: BookingTokenQuery,
      response: { 200: Binary('image/png', 'The QR code'), ...problems(400, 401, 404, 409) },
    },
    handler: async (request, reply) => {
      const { id } = request.params as Static<typeof IdParams>;
      const png = await app.ctx.tickets.qrPngOf(request.actor, id, bookingToken(request));
      return reply.type('image/png').header('cache-control', 'private, no-store').send(png);
    },
  });
}
