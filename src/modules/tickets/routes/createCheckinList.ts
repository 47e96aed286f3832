import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { IdParams, json, problems } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { idempotent, IdempotencyHeaders } from '../../../platform/http/idempotency.js';
import { CheckinListSchema, Gates, ListName, TicketTypeIds } from '../tickets.schemas.js';

const Body = Type.Object(
  { name: ListName, ticketTypeIds: Type.Optional(TicketTypeIds), gates: Type.Optional(Gates) },
  { additionalProperties: false },
);

export function createCheckinList(app: FastifyInstance) {
  app.post('/events/:id/checkin-lists', {
    ...idempotent(() => app.ctx.idempotency),
    schema: {
      summary: 'Create a check-in list for an event (owners and managers)',
      description:
        'Requires an Idempotency-Key. ticketTypeIds: the ticket types it admits (empty or absent = all); gates: the gate names scanning on it ' +
        '(empty = any). Every member of the organizer — gate staff included — may scan on every list of its events. A ticket gets in once per list.',
      tags: ['check-in'],
      operationId: 'createCheckinList',
      security: bearer,
      params: IdParams,
      headers: IdempotencyHeaders,
      body: Body,
      response: { 201: json(CheckinListSchema, 'Created'), ...problems(400, 401, 403, 404, 409, 422) },
    },
    handler: async (request, reply) => {
      const { id } = request.params as Static<typeof IdParams>;
      const list = await app.ctx.checkin.createList(requireActor(request), id, request.body as Static<typeof Body>);
      return reply.code(201).header('location', `/api/v1/checkin-lists/${list.id}`).send(list);
    },
  });
}
