import type { FastifyInstance } from 'fastify';
import { json, problems } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { AdminLedgerSchema } from '../ledger.schemas.js';

export function getAdminLedger(app: FastifyInstance) {
  app.get('/admin/ledger', {
    schema: {
      summary: 'Admin: every account’s balance per currency and the trial balance',
      description: 'Debits must equal credits in every currency (`balanced`). Also counts refunds still pending and refunds that failed at the provider.',
      tags: ['ledger'],
      operationId: 'getAdminLedger',
      security: bearer,
      response: { 200: json(AdminLedgerSchema), ...problems(401, 403) },
    },
    handler: async (request) => {
      const actor = requireActor(request);
      const books = await app.ctx.ledger.adminView(actor);
      return { ...books, refunds: await app.ctx.refunds.countOpen() };
    },
  });
}
