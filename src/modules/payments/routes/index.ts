import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { createPayment } from './createPayment.js';
import { getPayment } from './getPayment.js';
import { listBookingPayments } from './listBookingPayments.js';
import { listFlaggedPayments } from './listFlaggedPayments.js';
import { reviewPayment } from './reviewPayment.js';
import { webhookRoutes } from './receiveWebhook.js';

export async function paymentsRoutes(app: FastifyInstance) {
  createPayment(app);
  listBookingPayments(app);
  getPayment(app);
  listFlaggedPayments(app);
  reviewPayment(app);
}

/**
 * The payment routes under /api/v1, the webhook endpoints (their own scope: raw bodies), and,
 * once the server listens, its real address for MoMo callbacks (PORT=0 picks a free port).
 */
export async function registerPayments(app: FastifyInstance) {
  await app.register(paymentsRoutes, { prefix: '/api/v1' });
  await app.register(webhookRoutes, { prefix: '/api/v1' });
  app.addHook('onListen', async () => {
    const address = app.server.address() as AddressInfo | string | null;
    if (!address || typeof address === 'string') return;
    const host = address.address === '::1' ? '[::1]' : address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.address;
    app.ctx.payments.setLocalBaseUrl(`http://${host}:${address.port}`);
  });
}
