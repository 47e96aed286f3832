import Type from 'typebox';
import { DateTime, Nullable, Uuid } from '../../platform/http/schemas.js';

export const RefundStatusSchema = Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]);

export const RefundSchema = Type.Object({
  id: Uuid(),
  bookingId: Uuid(),
  paymentId: Uuid(),
  amount: Type.Integer({ description: 'Integer, in the currency’s minor unit' }),
  currency: Type.String({ pattern: '^[A-Z]{3}$' }),
  reason: Type.Union([Type.Literal('requested'), Type.Literal('event_cancelled'), Type.Literal('late_payment'), Type.Literal('duplicate_payment')]),
  note: Nullable(Type.String()),
  items: Type.Array(Type.Object({ ticketTypeId: Uuid(), quantity: Type.Integer({ minimum: 1 }) }), {
    description: 'Tickets given back by this refund (empty for automatic refunds of unapplied payments)',
  }),
  status: RefundStatusSchema,
  provider: Type.String(),
  failureReason: Nullable(Type.String()),
  attempts: Type.Integer({ description: 'Calls made to the provider so far' }),
  createdAt: DateTime(),
  updatedAt: DateTime(),
  succeededAt: Nullable(DateTime()),
  failedAt: Nullable(DateTime()),
});
