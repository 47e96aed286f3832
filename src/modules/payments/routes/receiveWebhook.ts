import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { json, problems } from '../../../platform/http/schemas.js';

const Params = Type.Object({ provider: Type.String({ pattern: '^[a-z][a-z0-9_-]{0,39}$', description: 'momo, stripe, …' }) }, { additionalProperties: false });
const Received = Type.Object({ received: Type.Literal(true), duplicate: Type.Boolean() });

/**
 * POST (Stripe, MoMo) and PUT (MoMo) /webhooks/{provider}. The body is kept as the exact bytes
 * received (signatures are computed over them): this plugin's own content-type parser takes any
 * type as a Buffer. Verified, stored once in the inbox with its processing job, answered at once.
 */
export async function webhookRoutes(app: FastifyInstance) {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  for (const method of ['POST', 'PUT'] as const) {
    app.route({
      method,
      url: '/webhooks/:provider',
      config: { rateLimitTier: 'none', ownAuthorization: true },
      schema: {
        summary: `Provider callback (${method === 'PUT' ? 'MTN MoMo sends PUT' : 'Stripe and MTN MoMo'})`,
        description:
          'Raw body. Stripe events must carry a valid Stripe-Signature (401 invalid_signature otherwise); MoMo callbacks are ' +
          'unsigned hints confirmed with the status API. Stored once per provider event id: a redelivery answers 200 with duplicate: true.',
        tags: ['webhooks'],
        operationId: method === 'POST' ? 'receiveWebhook' : 'receiveWebhookPut',
        security: [{}],
        params: Params,
        response: { 200: json(Received), ...problems(400, 401, 404, 413, 503) },
      },
      handler: async (request) => {
        const { provider } = request.params as { provider: string };
        const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const r = await app.ctx.payments.webhooks.receive(provider, { headers: request.headers, rawBody });
        return { received: true as const, duplicate: r.duplicate };
      },
    });
  }
}
