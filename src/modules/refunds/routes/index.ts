import type { FastifyInstance } from 'fastify';
import { createRefund } from './createRefund.js';
import { listRefunds } from './listRefunds.js';
import { listAdminRefunds } from './listAdminRefunds.js';

export async function refundsRoutes(app: FastifyInstance) {
  createRefund(app);
  listRefunds(app);
  listAdminRefunds(app);
}
