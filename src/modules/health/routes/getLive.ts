import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { json } from '../../../platform/http/schemas.js';

const Live = Type.Object({
  status: Type.Literal('ok'),
  uptimeSeconds: Type.Number(),
  pid: Type.Integer({ description: 'Process id: tells the processes of `serve --processes N` apart' }),
});

export function getLive(app: FastifyInstance) {
  app.get('/health/live', {
    schema: { summary: 'Is the process up', tags: ['health'], operationId: 'getLive', response: { 200: json(Live) } },
    handler: async () => ({ status: 'ok' as const, uptimeSeconds: Math.round(process.uptime()), pid: process.pid }),
  });
}
