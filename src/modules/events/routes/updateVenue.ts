import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { IdParams, json, problems } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { City, Country, Name, Timezone, Venue } from '../events.schemas.js';

const Body = Type.Object(
  {
    name: Type.Optional(Name),
    city: Type.Optional(City),
    country: Type.Optional(Country),
    timezone: Type.Optional(Timezone),
    capacity: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000 })),
  },
  { additionalProperties: false, minProperties: 1 },
);

export function updateVenue(app: FastifyInstance) {
  app.patch('/venues/:id', {
    schema: {
      summary: 'Update a venue (owners and managers)',
      description: "Events keep their own time zone; a new name or city is reflected in the events' search.",
      tags: ['venues'],
      operationId: 'updateVenue',
      security: bearer,
      params: IdParams,
      body: Body,
      response: { 200: json(Venue), ...problems(400, 401, 403, 404) },
    },
    handler: async (request) => {
      const { id } = request.params as Static<typeof IdParams>;
      return app.ctx.events.updateVenue(requireActor(request), id, request.body as Static<typeof Body>, { requestId: request.id });
    },
  });
}
