import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { IdParams, json, problems } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { DeviceId, Gate, ScanId, ScannedSchema, ScanResultSchema } from '../tickets.schemas.js';

const Body = Type.Object(
  {
    ...ScannedSchema,
    gate: Gate,
    deviceId: DeviceId,
    scanId: Type.Optional(ScanId),
  },
  { additionalProperties: false },
);

export function createCheckin(app: FastifyInstance) {
  app.post('/checkin-lists/:id/checkins', {
    schema: {
      summary: 'Scan a ticket at a gate: admitted, or refused with a machine code (organizer members, gate staff included)',
      description:
        'Give exactly one of `payload` (the QR content; its Ed25519 signature is checked) or `code` (typed). The answer is 200 either way — ' +
        'the request worked, the ticket may not have: `result: admitted`, or `result: rejected` with `code` one of already_redeemed (with ' +
        '`admission`: when, at which gate and device it first got in), invalid_signature, unknown_ticket, wrong_event, not_in_list, revoked, ' +
        'not_yet_valid, expired, event_cancelled. Admission is one conditional INSERT: a ticket gets in once per list, however many gates scan ' +
        'it at once. Check-in opens CHECKIN_OPENS_MINUTES_BEFORE the start and closes CHECKIN_CLOSES_MINUTES_AFTER the end. No Idempotency-Key: ' +
        'send `scanId` and a retry of the same scan from the same device answers admitted with `replayed: true`.',
      tags: ['check-in'],
      operationId: 'createCheckin',
      security: bearer,
      params: IdParams,
      body: Body,
      response: { 200: json(ScanResultSchema), ...problems(400, 401, 403, 404) },
    },
    handler: async (request) => {
      const { id } = request.params as Static<typeof IdParams>;
      return app.ctx.checkin.scan(requireActor(request), id, request.body as Static<typeof Body>);
    },
  });
}
