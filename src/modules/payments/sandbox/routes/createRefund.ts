import type { FastifyInstance } from 'fastify';
import type { MomoSandbox } from '../sandbox.service.js';

/** POST /disbursement/v1_0/refund and /disbursement/v2_0/refund — 202 with an empty body. */
export function createRefund(app: FastifyInstance, sandbox: MomoSandbox) {
  for (const version of ['v1_0', 'v2_0']) {
    app.post(`/disbursement/${version}/refund`, {
      schema: { hide: true },
      config: { ownAuthorization: true },
      handler: async (request, reply) => {
        await sandbox.refund(request.headers, request.body);
        return reply.code(202).send();
      },
    });
  }
}
