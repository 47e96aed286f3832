import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { IdParams, json, problems } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { AuditPage, AuditQueryBase } from '../audit.schemas.js';

const Query = Type.Object(AuditQueryBase, { additionalProperties: false });

export function listOrganizerAudit(app: FastifyInstance) {
  app.get('/organizers/:id/audit', {
    schema: {
      summary: "An organizer's audit log, newest first (owners, managers, admins)",
      description: 'Privileged actions on the organizer, its members, venues, events and ticket types, with actor, request id and before/after.',
      tags: ['audit'],
      operationId: 'listOrganizerAudit',
      security: bearer,
      params: IdParams,
      querystring: Query,
      response: { 200: json(AuditPage), ...problems(400, 401, 403, 404) },
    },
    handler: async (request) => {
      const { id } = request.params as Static<typeof IdParams>;
      return app.ctx.audit.listForOrganizer(requireActor(request), id, request.query as Static<typeof Query>);
    },
  });
}
