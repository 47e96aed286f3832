import type { FastifyInstance } from 'fastify';
import type { MomoSandbox, Product } from '../sandbox.service.js';

/** POST /{collection|disbursement}/token/ — Basic apiUser:apiKey + Ocp-Apim-Subscription-Key → access token. */
export function createToken(app: FastifyInstance, sandbox: MomoSandbox) {
  for (const product of ['collection', 'disbursement'] as Product[]) {
    app.post(`/${product}/token/`, {
      schema: { hide: true },
      config: { ownAuthorization: true },
      handler: async (request) => sandbox.issueToken(product, request.headers),
    });
  }
}
