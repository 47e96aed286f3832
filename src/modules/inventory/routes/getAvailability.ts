import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { DateTime, IdParams, json, problems, Uuid } from '../../../platform/http/schemas.js';

const Availability = Type.Object({
  eventId: Uuid(),
  asOf: DateTime('When these figures were read (they may be up to one second old)'),
  ticketTypes: Type.Array(
    Type.Object({
      ticketTypeId: Uuid(),
      name: Type.String(),
      price: Type.Integer(),
      currency: Type.String(),
      capacity: Type.Integer(),
      remaining: Type.Integer({ minimum: 0 }),
      status: Type.Union(['on_sale', 'sold_out', 'not_started', 'ended'].map((s) => Type.Literal(s))),
    }),
  ),
});

export function getAvailability(app: FastifyInstance) {
  app.get('/events/:id/availability', {
    schema: {
      summary: 'Tickets remaining per ticket type (for display; may be up to 1 s old)',
      description: 'Never used to decide a booking: the booking itself is checked against the live counters.',
      tags: ['availability'],
      operationId: 'getEventAvailability',
      params: IdParams,
      response: { 200: json(Availability), ...problems(400, 404) },
    },
    handler: async (request, reply) => {
      const { id } = request.params as { id: string };
      reply.header('cache-control', 'public, max-age=1');
      return app.ctx.inventory.availability(id);
    },
  });
}
