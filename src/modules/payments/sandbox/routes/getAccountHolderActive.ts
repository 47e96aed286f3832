import type { FastifyInstance } from 'fastify';
import type { MomoSandbox } from '../sandbox.service.js';

/** GET /collection/v1_0/accountholder/{type}/{id}/active → {result: boolean}. */
export function getAccountHolderActive(app: FastifyInstance, sandbox: MomoSandbox) {
  app.get<{ Params: { idType: string; id: string } }>('/collection/v1_0/accountholder/:idType/:id/active', {
    schema: { hide: true },
    config: { ownAuthorization: true },
    handler: async (request) => sandbox.accountHolderActive(request.headers, request.params.idType, request.params.id),
  });
}
