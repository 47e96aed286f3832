import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { json, Pagination, problems, Uuid } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import type { BookingStatus } from '../../../platform/db/schema.js';
import { BookingSchema, BookingStatusSchema } from '../bookings.schemas.js';

const Query = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(Uuid('nextCursor of the previous page')),
    status: Type.Optional(BookingStatusSchema),
  },
  { additionalProperties: false },
);

export function listBookings(app: FastifyInstance) {
  app.get('/bookings', {
    schema: {
      summary: 'The signed-in buyer’s bookings, newest first',
      tags: ['bookings'],
      operationId: 'listBookings',
      security: bearer,
      querystring: Query,
      response: { 200: json(Type.Intersect([Type.Object({ items: Type.Array(BookingSchema) }), Pagination])), ...problems(400, 401) },
    },
    handler: async (request) => {
      const actor = requireActor(request);
      const q = request.query as { limit: number; cursor?: string; status?: BookingStatus };
      return app.ctx.bookings.list(actor, q);
    },
  });
}
