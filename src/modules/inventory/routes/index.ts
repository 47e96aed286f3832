import type { FastifyInstance } from 'fastify';
import { getAvailability } from './getAvailability.js';

export async function inventoryRoutes(app: FastifyInstance) {
  getAvailability(app);
}
