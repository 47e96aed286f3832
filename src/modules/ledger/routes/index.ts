import type { FastifyInstance } from 'fastify';
import { getOrganizerBalance } from './getOrganizerBalance.js';
import { listOrganizerLedger } from './listOrganizerLedger.js';
import { getAdminLedger } from './getAdminLedger.js';

export async function ledgerRoutes(app: FastifyInstance) {
  getOrganizerBalance(app);
  listOrganizerLedger(app);
  getAdminLedger(app);
}
