import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { IdParams, json, problems } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { DateTime, Uuid } from '../../../platform/http/schemas.js';
import { Description, Event, Name, Timezone } from '../events.schemas.js';

const Body = Type.Object(
  {
    name: Type.Optional(Name),
    description: Type.Optional(Description),
    venueId: Type.Optional(Uuid('A venue of the same organizer')),
    startsAt: Type.Optional(DateTime()),
    endsAt: Type.Optional(DateTime()),
    timezone: Type.Optional(Timezone),
    holdMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 240 })),
  },
  { additionalProperties: false, minProperties: 1 },
);

export function updateEvent(app: FastifyInstance) {
  app.patch('/events/:id', {
    schema: {
      summary: 'Update an event (owners and managers); cancelled and completed events are frozen',
      tags: ['events'],
      operationId: 'updateEvent',
      security: bearer,
      params: IdParams,
      body: Body,
      response: { 200: json(Event), ...problems(400, 401, 403, 404, 409) },
    },
    handler: async (request) => {
      const { id } = request.params as Static<typeof IdParams>;
      return app.ctx.events.updateEvent(requireActor(request), id, request.body as Static<typeof Body>, { requestId: request.id });
    },
  });
}
