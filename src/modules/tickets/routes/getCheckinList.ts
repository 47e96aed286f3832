import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { IdParams, json, problems } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { CheckinListSchema } from '../tickets.schemas.js';

export function getCheckinList(app: FastifyInstance) {
  app.get('/checkin-lists/:id', {
    schema: {
      summary: 'A check-in list (organizer members, gate staff included)',
      tags: ['check-in'],
      operationId: 'getCheckinList',
      security: bearer,
      params: IdParams,
      response: { 200: json(CheckinListSchema), ...problems(400, 401, 403, 404) },
    },
    handler: async (request) => {
      const { id } = request.params as Static<typeof IdParams>;
      return app.ctx.checkin.getList(requireActor(request), id);
    },
  });
}
