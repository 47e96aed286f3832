import type { FastifyInstance } from 'fastify';
import { listOrganizerAudit } from './listOrganizerAudit.js';
import { listAdminAudit } from './listAdminAudit.js';

export async function auditRoutes(app: FastifyInstance) {
  listOrganizerAudit(app);
  listAdminAudit(app);
}
