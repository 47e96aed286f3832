import type { FastifyInstance } from 'fastify';
import { getLive } from './getLive.js';
import { getReady } from './getReady.js';

export async function healthRoutes(app: FastifyInstance) {
  getLive(app);
  getReady(app);
}
