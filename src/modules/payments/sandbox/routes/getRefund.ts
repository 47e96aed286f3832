import type { FastifyInstance } from 'fastify';
import type { MomoSandbox } from '../sandbox.service.js';

/** GET /disbursement/v1_0/refund/{referenceId}. */
export function getRefund(app: FastifyInstance, sandbox: MomoSandbox) {
  app.get<{ Params: { referenceId: string } }>('/disbursement/v1_0/refund/:referenceId', {
    schema: { hide: true },
    config: { ownAuthorization: true },
    handler: async (request) => sandbox.getRefund(request.headers, request.params.referenceId),
  });
}
