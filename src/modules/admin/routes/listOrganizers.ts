import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { json, problems } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { AdminOrganizer, pageOf, SearchQuery } from '../admin.schemas.js';

const Query = Type.Object(SearchQuery, { additionalProperties: false });

export function listOrganizers(app: FastifyInstance) {
  app.get('/admin/organizers', {
    schema: {
      summary: 'Search organizers by name or slug, with member and event counts (platform admins)',
      tags: ['admin'],
      operationId: 'adminListOrganizers',
      security: bearer,
      querystring: Query,
      response: { 200: json(pageOf(AdminOrganizer)), ...problems(400, 401, 403) },
    },
    handler: async (request) => app.ctx.admin.listOrganizers(requireActor(request), request.query as Static<typeof Query>),
  });
}
