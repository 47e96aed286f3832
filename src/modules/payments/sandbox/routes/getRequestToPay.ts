import type { FastifyInstance } from 'fastify';
import type { MomoSandbox } from '../sandbox.service.js';

/** GET /collection/v1_0/requesttopay/{referenceId} — PENDING until the delay passes, then the outcome. */
export function getRequestToPay(app: FastifyInstance, sandbox: MomoSandbox) {
  app.get<{ Params: { referenceId: string } }>('/collection/v1_0/requesttopay/:referenceId', {
    schema: { hide: true },
    config: { ownAuthorization: true },
    handler: async (request) => sandbox.getRequestToPay(request.headers, request.params.referenceId),
  });
}
