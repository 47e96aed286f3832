import Type from 'typebox';
import { DateTime, Nullable, Uuid } from '../../platform/http/schemas.js';

export const PaymentMethodSchema = Type.Union([Type.Literal('momo'), Type.Literal('card')]);

const NextActionSchema = Type.Union([
  Type.Object({
    type: Type.Literal('approve_on_phone'),
    message: Type.String({ description: 'What to tell the buyer' }),
    phone: Type.String({ description: 'The payer phone (E.164) that receives the prompt' }),
  }),
  Type.Object({
    type: Type.Literal('confirm_card'),
    clientSecret: Type.String({ description: 'Stripe PaymentIntent client secret for Stripe.js / the mobile SDK' }),
    publishableKey: Type.Optional(Type.String()),
  }),
]);

const FraudReasonSchema = Type.Object({ code: Type.String(), points: Type.Integer(), detail: Type.String() });

export const PaymentSchema = Type.Object({
  id: Uuid(),
  bookingId: Uuid(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]),
  outcome: Nullable(
    Type.Union([Type.Literal('applied'), Type.Literal('refunded_late'), Type.Literal('refunded_duplicate')], {
      description: 'For a success: applied to the booking, or refunded automatically (hold gone / booking already paid)',
    }),
  ),
  outcomeReason: Nullable(Type.String()),
  method: PaymentMethodSchema,
  provider: Type.String(),
  amount: Type.Integer({ description: 'In the currency’s minor unit (RWF has none)' }),
  currency: Type.String({ minLength: 3, maxLength: 3 }),
  payerPhone: Nullable(Type.String()),
  failureReason: Nullable(Type.String({ description: 'The provider’s reason (APPROVAL_REJECTED, EXPIRED, card_declined…), or timeout / blocked / provider_unavailable' })),
  reviewStatus: Nullable(Type.Union([Type.Literal('pending'), Type.Literal('approved'), Type.Literal('rejected')])),
  createdAt: DateTime(),
  succeededAt: Nullable(DateTime()),
  failedAt: Nullable(DateTime()),
  nextAction: Type.Optional(NextActionSchema),
  fraud: Type.Optional(
    Type.Object(
      {
        score: Type.Integer({ minimum: 0, maximum: 100 }),
        reasons: Type.Array(FraudReasonSchema),
        reviewedAt: Nullable(DateTime()),
        reviewNote: Nullable(Type.String()),
      },
      { description: 'Admins and the organizer’s members only' },
    ),
  ),
});
