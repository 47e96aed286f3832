import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { IdParams, json, problems } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { City, Country, Name, Timezone, Venue } from '../events.schemas.js';

const Body = Type.Object(
  { name: Name, city: City, country: Country, timezone: Timezone, capacity: Type.Integer({ minimum: 1, maximum: 10_000_000 }) },
  { additionalProperties: false },
);

export function createVenue(app: FastifyInstance) {
  app.post('/organizers/:id/venues', {
    schema: {
      summary: 'Create a venue (owners and managers)',
      tags: ['venues'],
      operationId: 'createVenue',
      security: bearer,
      params: IdParams,
      body: Body,
      response: { 201: json(Venue, 'Created'), ...problems(400, 401, 403, 404) },
    },
    handler: async (request, reply) => {
      const { id } = request.params as Static<typeof IdParams>;
      const venue = await app.ctx.events.createVenue(requireActor(request), id, request.body as Static<typeof Body>, { requestId: request.id });
      return reply.code(201).send(venue);
    },
  });
}
