import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { DateTime, json, Nullable, problems, Uuid } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { User } from '../identity.schemas.js';

const Money = { amount: Type.Integer(), currency: Type.String() };

const Export = Type.Object({
  exportedAt: DateTime(),
  profile: Type.Object({ ...User.properties, disabledAt: Nullable(DateTime()) }),
  memberships: Type.Array(
    Type.Object({
      organizerId: Uuid(),
      organizerName: Type.String(),
      role: Type.Union([Type.Literal('owner'), Type.Literal('manager'), Type.Literal('gate')]),
    }),
  ),
  bookings: Type.Array(
    Type.Object({
      id: Uuid(),
      eventId: Uuid(),
      eventName: Type.String(),
      eventStartsAt: DateTime(),
      status: Type.String(),
      buyer: Type.Object({ name: Type.String(), email: Type.String(), phone: Type.String() }),
      total: Type.Integer(),
      currency: Type.String(),
      refundedAmount: Type.Integer(),
      expiresAt: DateTime(),
      confirmedAt: Nullable(DateTime()),
      cancelledAt: Nullable(DateTime()),
      createdAt: DateTime(),
      holds: Type.Array(
        Type.Object({
          ticketTypeId: Uuid(),
          ticketTypeName: Type.String(),
          quantity: Type.Integer(),
          unitPrice: Type.Integer(),
          refundedQuantity: Type.Integer(),
        }),
      ),
    }),
  ),
  payments: Type.Array(
    Type.Object({
      id: Uuid(),
      bookingId: Uuid(),
      method: Type.String(),
      provider: Type.String(),
      status: Type.String(),
      ...Money,
      refundedAmount: Type.Integer(),
      payerPhone: Nullable(Type.String()),
      failureReason: Nullable(Type.String()),
      createdAt: DateTime(),
      succeededAt: Nullable(DateTime()),
      failedAt: Nullable(DateTime()),
    }),
  ),
  refunds: Type.Array(
    Type.Object({
      id: Uuid(),
      bookingId: Uuid(),
      paymentId: Uuid(),
      ...Money,
      reason: Type.String(),
      status: Type.String(),
      createdAt: DateTime(),
      succeededAt: Nullable(DateTime()),
    }),
  ),
  tickets: Type.Array(Type.Object({}, { additionalProperties: true }), { description: 'The tickets of your bookings, as stored.' }),
});

export function exportMyData(app: FastifyInstance) {
  app.get('/me/export', {
    schema: {
      summary: 'Download all your personal data',
      description:
        'Your profile, organizer memberships, bookings with their tickets types and quantities, payments, refunds and tickets, as one JSON document.',
      tags: ['auth'],
      operationId: 'exportMyData',
      security: bearer,
      response: { 200: json(Export), ...problems(401) },
    },
    handler: async (request, reply) => {
      const data = await app.ctx.identity.exportData(requireActor(request));
      reply.header('content-disposition', 'attachment; filename="tikiti-my-data.json"');
      reply.header('cache-control', 'no-store');
      return data;
    },
  });
}
