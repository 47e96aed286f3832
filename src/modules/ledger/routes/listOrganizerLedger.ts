import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { IdParams, json, Pagination, problems, Uuid } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { LedgerEntrySchema } from '../ledger.schemas.js';

const Query = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    cursor: Type.Optional(Uuid('nextCursor of the previous page')),
    currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
  },
  { additionalProperties: false },
);

export function listOrganizerLedger(app: FastifyInstance) {
  app.get('/organizers/:id/ledger', {
    schema: {
      summary: 'The organizer’s ledger entries, newest first',
      description: 'Owners, managers and admins. The organizer_payable and platform_commission lines of its payments and refunds.',
      tags: ['ledger'],
      operationId: 'listOrganizerLedger',
      security: bearer,
      params: IdParams,
      querystring: Query,
      response: { 200: json(Type.Intersect([Type.Object({ items: Type.Array(LedgerEntrySchema) }), Pagination])), ...problems(400, 401, 403, 404) },
    },
    handler: async (request) => {
      const { id } = request.params as Static<typeof IdParams>;
      return app.ctx.ledger.organizerEntries(requireActor(request), id, request.query as Static<typeof Query>);
    },
  });
}
