import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { IdParams, json, problems } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { DateTime, Nullable } from '../../../platform/http/schemas.js';
import { Currency, Description, Name, Price, TicketType, Visibility } from '../events.schemas.js';

const Body = Type.Object(
  {
    name: Name,
    description: Type.Optional(Description),
    price: Price,
    currency: Currency,
    capacity: Type.Integer({ minimum: 0, maximum: 10_000_000 }),
    salesStart: Type.Optional(Nullable(DateTime('When sales open; null = now'))),
    salesEnd: Type.Optional(Nullable(DateTime('When sales close; after salesStart; null = until the event'))),
    minPerOrder: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Default 1' })),
    maxPerOrder: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'At least minPerOrder (default 10)' })),
    visibility: Type.Optional(Visibility),
    sortOrder: Type.Optional(Type.Integer({ minimum: -1000000, maximum: 1000000 })),
  },
  { additionalProperties: false },
);

export function createTicketType(app: FastifyInstance) {
  app.post('/events/:id/ticket-types', {
    schema: {
      summary: 'Add a ticket type to an event (owners and managers)',
      description: 'All ticket types of an event share one currency (409 currency_mismatch).',
      tags: ['ticket-types'],
      operationId: 'createTicketType',
      security: bearer,
      params: IdParams,
      body: Body,
      response: { 201: json(TicketType, 'Created'), ...problems(400, 401, 403, 404, 409) },
    },
    handler: async (request, reply) => {
      const { id } = request.params as Static<typeof IdParams>;
      const ticketType = await app.ctx.events.createTicketType(requireActor(request), id, request.body as Static<typeof Body>, { requestId: request.id });
      return reply.code(201).send(ticketType);
    },
  });
}
