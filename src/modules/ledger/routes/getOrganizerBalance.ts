import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { IdParams, json, problems } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { OrganizerBalanceSchema } from '../ledger.schemas.js';

export function getOrganizerBalance(app: FastifyInstance) {
  app.get('/organizers/:id/balance', {
    schema: {
      summary: 'The organizer’s balance per currency: gross sales, commission, refunds, payable',
      description: 'Owners, managers and admins. payable = grossSales − commission − refunds.',
      tags: ['ledger'],
      operationId: 'getOrganizerBalance',
      security: bearer,
      params: IdParams,
      response: { 200: json(OrganizerBalanceSchema), ...problems(400, 401, 403, 404) },
    },
    handler: async (request) => {
      const { id } = request.params as Static<typeof IdParams>;
      return app.ctx.ledger.organizerBalance(requireActor(request), id);
    },
  });
}
