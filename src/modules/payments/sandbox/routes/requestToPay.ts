import type { FastifyInstance } from 'fastify';
import type { MomoSandbox } from '../sandbox.service.js';

/** POST /collection/v1_0/requesttopay — 202 with an empty body; the outcome comes later. */
export function requestToPay(app: FastifyInstance, sandbox: MomoSandbox) {
  app.post('/collection/v1_0/requesttopay', {
    schema: { hide: true },
    config: { ownAuthorization: true },
    handler: async (request, reply) => {
      await sandbox.requestToPay(request.headers, request.body);
      return reply.code(202).send();
    },
  });
}
