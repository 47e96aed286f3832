import Type from 'typebox';
import { DateTime, Nullable, Uuid } from '../../platform/http/schemas.js';

/** Response schemas shared by the booking routes. */
export const BookingStatusSchema = Type.Union(
  ['pending', 'confirmed', 'cancelled', 'expired'].map((s) => Type.Literal(s)),
  { description: 'pending (inventory held until expiresAt) → confirmed (paid) | cancelled | expired' },
);

export const BookingSchema = Type.Object({
  id: Uuid(),
  eventId: Uuid(),
  status: BookingStatusSchema,
  items: Type.Array(
    Type.Object({
      ticketTypeId: Uuid(),
      name: Type.String(),
      quantity: Type.Integer({ minimum: 1 }),
      unitPrice: Type.Integer({ description: 'In the minor unit of the currency' }),
      subtotal: Type.Integer(),
    }),
  ),
  total: Type.Integer({ description: 'In the minor unit of the currency (RWF and UGX have none)' }),
  currency: Type.String({ minLength: 3, maxLength: 3 }),
  buyer: Type.Object({ name: Type.String(), email: Type.String(), phone: Type.String({ description: 'E.164' }) }),
  expiresAt: DateTime('The hold is released at this time unless the booking is paid'),
  createdAt: DateTime(),
  cancelledAt: Nullable(DateTime()),
  expiredAt: Nullable(DateTime()),
  confirmedAt: Nullable(DateTime()),
});

export const CreatedBookingSchema = Type.Intersect([
  BookingSchema,
  Type.Object({
    bookingAccessToken: Type.Optional(
      Type.String({ description: 'Guests only: send it as X-Booking-Token (or ?token=) to read or cancel this booking. Shown once.' }),
    ),
  }),
]);

/** A guest's booking access token, as a header or a query parameter. */
export const BookingTokenHeaders = Type.Object({
  'x-booking-token': Type.Optional(Type.String({ maxLength: 200, description: 'The bookingAccessToken a guest received' })),
});
export const BookingTokenQuery = Type.Object(
  { token: Type.Optional(Type.String({ maxLength: 200, description: 'The bookingAccessToken (alternative to the header)' })) },
  { additionalProperties: false },
);
