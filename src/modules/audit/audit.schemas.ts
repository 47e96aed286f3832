import Type from 'typebox';
import { DateTime, Nullable, Uuid } from '../../platform/http/schemas.js';

/** Schemas of the audit routes. */
export const AuditEntry = Type.Object({
  id: Uuid(),
  action: Type.String({ description: 'Dotted name, e.g. event.published, ticket_type.capacity_changed', examples: ['event.published'] }),
  actor: Nullable(Type.Object({ id: Uuid(), name: Nullable(Type.String()) }, { description: 'null for the system or the CLI' })),
  organizerId: Nullable(Uuid()),
  target: Type.Object({ type: Type.String({ examples: ['event'] }), id: Type.String() }),
  requestId: Nullable(Type.String({ description: 'X-Request-Id of the request that made the change' })),
  before: Type.Unknown({ description: 'The relevant fields before the change (null when created)' }),
  after: Type.Unknown({ description: 'The relevant fields after the change (null when removed)' }),
  createdAt: DateTime(),
});

export const AuditPage = Type.Object({
  items: Type.Array(AuditEntry),
  nextCursor: Nullable(Type.String({ description: 'Pass as `cursor` for older entries; null on the last page.' })),
});

export const ActionPrefix = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: '^[a-z_.]+$',
  description: 'Action prefix: `event` matches every event.* action, `ticket_type.capacity_changed` one action.',
});

export const AuditQueryBase = {
  action: Type.Optional(ActionPrefix),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
};
