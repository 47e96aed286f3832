import Type from 'typebox';
import { DateTime, Nullable, Uuid } from '../../platform/http/schemas.js';
import { SCAN_CODES } from './tickets.checkin.js';

/** Schemas shared by the tickets and check-in routes. */
export const TicketSchema = Type.Object({
  id: Uuid(),
  code: Type.String({ description: 'Short human code (8 characters, no look-alikes); printed as XXXX-XXXX' }),
  ticketType: Type.Object({ id: Uuid(), name: Type.String() }),
  holder: Type.Object({ name: Type.String() }),
  status: Type.Union([Type.Literal('valid'), Type.Literal('checked_in'), Type.Literal('revoked')]),
  qrPayload: Nullable(Type.String({ description: 'The signed QR content (TK1.<body>.<signature>); null once revoked' })),
  checkedInAt: Nullable(DateTime('First admission on any check-in list')),
  revokedAt: Nullable(DateTime()),
  revokedReason: Nullable(Type.String()),
});

export const BookingTicketsSchema = Type.Object({
  bookingId: Uuid(),
  bookingStatus: Type.String(),
  tickets: Type.Array(TicketSchema),
});

export const TicketKeySchema = Type.Object({
  eventId: Uuid(),
  keyId: Type.String({ description: '16 hex digits; also inside every QR payload' }),
  algorithm: Type.Literal('Ed25519'),
  publicKey: Type.String({ description: 'Raw 32-byte Ed25519 public key, base64url' }),
  publicKeyPem: Type.String({ description: 'The same key, SPKI PEM' }),
  payloadFormat: Type.String(),
});

export const CheckinListSchema = Type.Object({
  id: Uuid(),
  eventId: Uuid(),
  name: Type.String(),
  ticketTypeIds: Type.Array(Uuid(), { description: 'Admitted ticket types; empty = all of the event' }),
  gates: Type.Array(Type.String(), { description: 'Gates scanning on this list; empty = any gate name' }),
  createdAt: DateTime(),
  updatedAt: DateTime(),
});

export const ListName = Type.String({ minLength: 1, maxLength: 200 });
export const TicketTypeIds = Type.Array(Uuid(), { maxItems: 200 });
export const Gates = Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 200 });

const AdmissionSchema = Type.Object({
  scannedAt: DateTime(),
  gate: Type.String(),
  deviceId: Type.String(),
  offline: Type.Boolean(),
});

export const ScanResultSchema = Type.Object({
  result: Type.Union([Type.Literal('admitted'), Type.Literal('rejected')]),
  code: Type.Optional(Type.Union(SCAN_CODES.map((c) => Type.Literal(c)), { description: 'Why the ticket was refused' })),
  message: Type.String(),
  ticket: Type.Optional(
    Type.Object({ id: Uuid(), code: Type.String(), ticketType: Type.Object({ id: Uuid(), name: Type.String() }), holder: Type.Object({ name: Type.String() }) }),
  ),
  admission: Type.Optional(Type.Intersect([AdmissionSchema], { description: 'admitted: this scan; already_redeemed: when and where it first got in' })),
  replayed: Type.Optional(Type.Boolean()),
});

export const ScannedSchema = {
  payload: Type.Optional(Type.String({ minLength: 1, maxLength: 1000, description: 'The QR content as scanned' })),
  code: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: 'The human code as typed (case, spaces and dashes ignored)' })),
};

export const DeviceId = Type.String({ minLength: 1, maxLength: 100 });
export const Gate = Type.String({ minLength: 1, maxLength: 100 });
export const ScanId = Type.String({ minLength: 1, maxLength: 100 });

export const SyncResultSchema = Type.Object({
  checkinListId: Uuid(),
  deviceId: Type.String(),
  admitted: Type.Integer(),
  rejected: Type.Integer(),
  results: Type.Array(Type.Intersect([ScanResultSchema, Type.Object({ localScanId: Type.String() })])),
  conflicts: Type.Array(
    Type.Object({
      ticketId: Uuid(),
      admission: Type.Intersect([AdmissionSchema, Type.Object({ localScanId: Nullable(Type.String()) })]),
      conflicting: Type.Intersect([AdmissionSchema, Type.Object({ localScanId: Type.String() })]),
    }),
  ),
});

export const ListTicketsSchema = Type.Object({
  checkinList: CheckinListSchema,
  publicKeys: Type.Array(Type.Object({ keyId: Type.String(), algorithm: Type.Literal('Ed25519'), publicKey: Type.String() })),
  tickets: Type.Array(
    Type.Object({ id: Uuid(), code: Type.String(), ticketTypeId: Uuid(), holder: Type.Object({ name: Type.String() }), checkedInAt: Nullable(DateTime()) }),
  ),
  revocations: Type.Array(Type.Object({ id: Uuid(), code: Type.String(), revokedAt: DateTime(), reason: Type.String() })),
  nextCursor: Nullable(Type.String({ description: 'Pass as `since` next time (for the next page, or later for new changes)' })),
  hasMore: Type.Boolean(),
});

export const StatsSchema = Type.Object({
  checkinListId: Uuid(),
  eventId: Uuid(),
  checkedIn: Type.Integer(),
  total: Type.Integer(),
  ticketTypes: Type.Array(Type.Object({ ticketTypeId: Uuid(), name: Type.String(), checkedIn: Type.Integer(), total: Type.Integer() })),
});

export const Binary = (type: string, description: string) => ({
  description,
  content: { [type]: { schema: { type: 'string', format: 'binary' } } },
});
