import type { FastifyInstance } from 'fastify';
import { listUsers } from './listUsers.js';
import { getUser } from './getUser.js';
import { disableUser } from './disableUser.js';
import { enableUser } from './enableUser.js';
import { listOrganizers } from './listOrganizers.js';

/** The platform operator's API under /admin (the audit log is in the audit module, flagged payments in payments). */
export async function adminRoutes(app: FastifyInstance) {
  listUsers(app);
  getUser(app);
  disableUser(app);
  enableUser(app);
  listOrganizers(app);
}
