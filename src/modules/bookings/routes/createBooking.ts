import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { json, problems, Uuid } from '../../../platform/http/schemas.js';
import { idempotent, idempotentResource, IdempotencyHeaders } from '../../../platform/http/idempotency.js';
import { CreatedBookingSchema } from '../bookings.schemas.js';

const Body = Type.Object(
  {
    eventId: Uuid(),
    items: Type.Array(
      Type.Object(
        {
          ticketTypeId: Uuid(),
          quantity: Type.Integer({ minimum: 1, maximum: 1000 }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 20 },
    ),
    buyer: Type.Object(
      {
        name: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' }),
        email: Type.String({ format: 'email', maxLength: 254 }),
        phone: Type.String({ minLength: 3, maxLength: 32, description: 'International format, e.g. +250788123456' }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export function createBooking(app: FastifyInstance) {
  app.post('/bookings', {
    ...idempotent(() => app.ctx.idempotency),
    schema: {
      summary: 'Book tickets: holds the inventory until expiresAt (all items or none)',
      description:
        'Requires an Idempotency-Key. A signed-in buyer is linked to the booking; a guest receives a bookingAccessToken. ' +
        'Not enough left → 409 sold_out with `remaining` per ticket type; outside the sales window → 409 sales_closed.',
      tags: ['bookings'],
      operationId: 'createBooking',
      headers: IdempotencyHeaders,
      body: Body,
      response: { 201: json(CreatedBookingSchema, 'Booked (pending payment)'), ...problems(400, 401, 404, 409, 422, 503) },
    },
    handler: async (request, reply) => {
      const booking = await app.ctx.bookings.create(request.actor, request.body as Type.Static<typeof Body>, idempotentResource(request));
      return reply.code(201).header('location', `/api/v1/bookings/${booking.id}`).send(booking);
    },
  });
}
