import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { ping } from '../../../platform/db/database.js';
import { pendingMigrations } from '../../../platform/db/migrate.js';
import { json, problems } from '../../../platform/http/schemas.js';
import { errors } from '../../../platform/errors.js';

const Ready = Type.Object({
  status: Type.Literal('ready'),
  database: Type.Object({ latencyMs: Type.Number() }),
});

export function getReady(app: FastifyInstance) {
  app.get('/health/ready', {
    schema: {
      summary: 'Can this node serve traffic (database reachable, migrations current)',
      tags: ['health'],
      operationId: 'getReady',
      response: { 200: json(Ready), ...problems(503) },
    },
    handler: async () => {
      let latencyMs: number;
      let pending: string[];
      try {
        latencyMs = await ping(app.ctx.db);
        pending = await pendingMigrations(app.ctx.db);
      } catch {
        throw errors.serviceUnavailable('The database is unreachable.');
      }
      if (pending.length > 0) throw errors.serviceUnavailable(`Migrations pending: ${pending.join(', ')}.`);
      return { status: 'ready' as const, database: { latencyMs: Math.round(latencyMs * 100) / 100 } };
    },
  });
}
