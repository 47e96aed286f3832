import type { FastifyInstance } from 'fastify';
import { getLive } from './getLive.js';
import { getReady } from './getReady.js';
import { getDetailed } from './getDetailed.js';

export async function healthRoutes(app: FastifyInstance) {
  getLive(app);
  getReady(app);
  getDetailed(app);
}
