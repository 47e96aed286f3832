import type { FastifyInstance } from 'fastify';

export async function organizersRoutes(_app: FastifyInstance) {}
