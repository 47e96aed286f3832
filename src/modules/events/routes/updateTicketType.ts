import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { IdParams, json, problems } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { DateTime, Nullable } from '../../../platform/http/schemas.js';
import { Currency, Description, Name, Price, TicketType, Visibility } from '../events.schemas.js';

const Body = Type.Object(
  {
    name: Type.Optional(Name),
    description: Type.Optional(Description),
    price: Type.Optional(Price),
    currency: Type.Optional(Currency),
    capacity: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000 })),
    salesStart: Type.Optional(Nullable(DateTime())),
    salesEnd: Type.Optional(Nullable(DateTime())),
    minPerOrder: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    maxPerOrder: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    visibility: Type.Optional(Visibility),
    sortOrder: Type.Optional(Type.Integer({ minimum: -1000000, maximum: 1000000 })),
  },
  { additionalProperties: false, minProperties: 1 },
);

export function updateTicketType(app: FastifyInstance) {
  app.patch('/ticket-types/:id', {
    schema: {
      summary: 'Update a ticket type (owners and managers)',
      description:
        'Capacity cannot drop below held + sold (409 capacity_below_sold); price and currency are locked once anything is held or sold (409 price_locked).',
      tags: ['ticket-types'],
      operationId: 'updateTicketType',
      security: bearer,
      params: IdParams,
      body: Body,
      response: { 200: json(TicketType), ...problems(400, 401, 403, 404, 409) },
    },
    handler: async (request) => {
      const { id } = request.params as Static<typeof IdParams>;
      return app.ctx.events.updateTicketType(requireActor(request), id, request.body as Static<typeof Body>, { requestId: request.id });
    },
  });
}
