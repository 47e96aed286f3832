import Type from 'typebox';
import { DateTime, Nullable, Uuid } from '../../platform/http/schemas.js';

/** Schemas of the admin routes. */
export const UserStatus = Type.Union([Type.Literal('active'), Type.Literal('disabled'), Type.Literal('deleted')]);

export const AdminUser = Type.Object({
  id: Uuid(),
  email: Type.String(),
  name: Type.String(),
  isAdmin: Type.Boolean(),
  status: UserStatus,
  disabledAt: Nullable(DateTime()),
  deletedAt: Nullable(DateTime('Set when the user deleted their account (personal data anonymized).')),
  createdAt: DateTime(),
});

export const AdminUserDetail = Type.Object({
  ...AdminUser.properties,
  memberships: Type.Array(
    Type.Object({
      organizerId: Uuid(),
      organizerName: Type.String(),
      role: Type.Union([Type.Literal('owner'), Type.Literal('manager'), Type.Literal('gate')]),
    }),
  ),
  bookings: Type.Integer({ description: 'Bookings made while signed in' }),
  confirmedBookings: Type.Integer(),
  liveSessions: Type.Integer({ description: 'Refresh tokens that can still be exchanged' }),
});

export const AdminOrganizer = Type.Object({
  id: Uuid(),
  name: Type.String(),
  slug: Type.String(),
  commissionBps: Type.Integer(),
  members: Type.Integer(),
  events: Type.Integer(),
  createdAt: DateTime(),
});

export const SearchQuery = {
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Case-insensitive substring' })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
};

export const pageOf = <T extends Parameters<typeof Type.Array>[0]>(item: T) =>
  Type.Object({ items: Type.Array(item), nextCursor: Nullable(Type.String({ description: 'Pass as `cursor` for the next page; null on the last.' })) });
