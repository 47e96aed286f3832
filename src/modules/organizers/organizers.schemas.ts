import Type from 'typebox';
import { DateTime, Nullable, Uuid } from '../../platform/http/schemas.js';

/** Response and shared request pieces of the organizers routes. */
export const MemberRoleSchema = Type.Union([Type.Literal('owner'), Type.Literal('manager'), Type.Literal('gate')], {
  description: 'owner: everything incl. members; manager: venues, events, ticket types; gate: read-only (check-in)',
});

export const CommissionBps = Type.Integer({ minimum: 0, maximum: 10_000, description: 'Platform commission in basis points (500 = 5%)' });
export const OrganizerName = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' });

export const Organizer = Type.Object({
  id: Uuid(),
  name: Type.String(),
  slug: Type.String(),
  commissionBps: Type.Integer(),
  myRole: Nullable(MemberRoleSchema),
  createdAt: DateTime(),
  updatedAt: DateTime(),
});

export const Member = Type.Object({
  userId: Uuid(),
  email: Type.String(),
  name: Type.String(),
  role: MemberRoleSchema,
  createdAt: DateTime(),
});
