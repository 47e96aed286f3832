import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { DateTime, IdParams, json, problems } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { DeviceId, Gate, ScanId, ScannedSchema, SyncResultSchema } from '../tickets.schemas.js';

const Body = Type.Object(
  {
    deviceId: DeviceId,
    scans: Type.Array(
      Type.Object({ ...ScannedSchema, gate: Gate, scannedAt: DateTime('When the device scanned it (device clock)'), localScanId: ScanId }, { additionalProperties: false }),
      { minItems: 1, maxItems: 1000 },
    ),
  },
  { additionalProperties: false },
);

export function syncCheckins(app: FastifyInstance) {
  app.post('/checkin-lists/:id/sync', {
    schema: {
      summary: 'Upload scans recorded offline; each gets its result, duplicates across devices are reported as conflicts',
      description:
        'Per ticket and list the earliest scan (scannedAt; ties: deviceId, then localScanId) holds the one admission — an upload of an earlier ' +
        'scan takes it over — and every other scan that let the ticket in is a conflict, recorded and listed in `conflicts`. Idempotent per ' +
        '(deviceId, localScanId): retry an upload whose answer was lost. scannedAt more than 5 minutes in the future → 400.',
      tags: ['check-in'],
      operationId: 'syncCheckins',
      security: bearer,
      params: IdParams,
      body: Body,
      response: { 200: json(SyncResultSchema), ...problems(400, 401, 403, 404, 503) },
    },
    handler: async (request) => {
      const { id } = request.params as Static<typeof IdParams>;
      return app.ctx.checkin.sync(requireActor(request), id, request.body as Static<typeof Body>);
    },
  });
}
