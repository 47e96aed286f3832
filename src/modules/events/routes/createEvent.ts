import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { IdParams, json, problems } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { DateTime, Uuid } from '../../../platform/http/schemas.js';
import { Description, Event, Name, Timezone } from '../events.schemas.js';

const Body = Type.Object(
  {
    name: Name,
    description: Type.Optional(Description),
    venueId: Uuid('A venue of the same organizer'),
    startsAt: DateTime(),
    endsAt: DateTime('Must be after startsAt'),
    timezone: Type.Optional(Timezone),
    holdMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 240, description: 'How long a reservation holds tickets (default 15)' })),
  },
  { additionalProperties: false },
);

export function createEvent(app: FastifyInstance) {
  app.post('/organizers/:id/events', {
    schema: {
      summary: 'Create an event as a draft (owners and managers)',
      description: "The time zone defaults to the venue's. Publish it once it has ticket types.",
      tags: ['events'],
      operationId: 'createEvent',
      security: bearer,
      params: IdParams,
      body: Body,
      response: { 201: json(Event, 'Created'), ...problems(400, 401, 403, 404) },
    },
    handler: async (request, reply) => {
      const { id } = request.params as Static<typeof IdParams>;
      const event = await app.ctx.events.createEvent(requireActor(request), id, request.body as Static<typeof Body>, { requestId: request.id });
      return reply.code(201).send(event);
    },
  });
}
