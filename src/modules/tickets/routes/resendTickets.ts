import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { IdParams, json, problems, Uuid } from '../../../platform/http/schemas.js';
import { bearer } from '../../../platform/http/auth.js';
import { idempotent, IdempotencyHeaders } from '../../../platform/http/idempotency.js';
import { BookingTokenQuery } from '../../bookings/bookings.schemas.js';
import { bookingToken } from './listBookingTickets.js';

const Headers = Type.Object({
  ...IdempotencyHeaders.properties,
  'x-booking-token': Type.Optional(Type.String({ maxLength: 200, description: 'The bookingAccessToken a guest received' })),
});
const Queued = Type.Object({ bookingId: Uuid(), queued: Type.Literal(true), tickets: Type.Integer({ description: 'Valid tickets in the email' }) });

export function resendTickets(app: FastifyInstance) {
  app.post('/bookings/:id/tickets/resend', {
    ...idempotent(() => app.ctx.idempotency),
    schema: {
      summary: 'Email the tickets again (the buyer, a guest with its token, the organizer’s members)',
      description: 'Requires an Idempotency-Key. Queues the email job (PDF attached); a resend still waiting replaces the earlier one. No valid tickets → 409 tickets_not_issued.',
      tags: ['tickets'],
      operationId: 'resendTickets',
      security: [...bearer, {}],
      params: IdParams,
      headers: Headers,
      querystring: BookingTokenQuery,
      response: { 202: json(Queued, 'Queued'), ...problems(400, 401, 404, 409, 422) },
    },
    handler: async (request, reply) => {
      const { id } = request.params as Static<typeof IdParams>;
      return reply.code(202).send(await app.ctx.tickets.resend(request.actor, id, bookingToken(request)));
    },
  });
}
