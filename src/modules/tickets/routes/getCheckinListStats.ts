import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { IdParams, json, problems } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { StatsSchema } from '../tickets.schemas.js';

export function getCheckinListStats(app: FastifyInstance) {
  app.get('/checkin-lists/:id/stats', {
    schema: {
      summary: 'Live counts of a list: checked in / valid tickets, per ticket type',
      tags: ['check-in'],
      operationId: 'getCheckinListStats',
      security: bearer,
      params: IdParams,
      response: { 200: json(StatsSchema), ...problems(400, 401, 403, 404) },
    },
    handler: async (request) => {
      const { id } = request.params as Static<typeof IdParams>;
      return app.ctx.checkin.stats(requireActor(request), id);
    },
  });
}
