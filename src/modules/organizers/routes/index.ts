import type { FastifyInstance } from 'fastify';
import { createOrganizer } from './createOrganizer.js';
import { listOrganizers } from './listOrganizers.js';
import { getOrganizer } from './getOrganizer.js';
import { updateOrganizer } from './updateOrganizer.js';
import { listMembers } from './listMembers.js';
import { addMember } from './addMember.js';
import { removeMember } from './removeMember.js';

export async function organizersRoutes(app: FastifyInstance) {
  createOrganizer(app);
  listOrganizers(app);
  getOrganizer(app);
  updateOrganizer(app);
  listMembers(app);
  addMember(app);
  removeMember(app);
}
