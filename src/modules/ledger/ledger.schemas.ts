import Type from 'typebox';
import { DateTime, Nullable, Uuid } from '../../platform/http/schemas.js';

const Money = (description: string) => Type.Integer({ description: `${description} (integer, the currency's minor unit)` });
const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217' });

export const OrganizerBalanceSchema = Type.Object({
  organizerId: Uuid(),
  balances: Type.Array(
    Type.Object({
      currency: Currency,
      grossSales: Money('Payments applied to bookings'),
      commission: Money('Platform commission, net of the share reversed by refunds'),
      refunds: Money('Refunded to buyers'),
      payable: Money('Owed to the organizer: grossSales − commission − refunds'),
    }),
  ),
});

export const LedgerEntrySchema = Type.Object({
  id: Uuid(),
  transactionId: Uuid(),
  kind: Type.String({ description: 'payment_applied, payment_unapplied or refund' }),
  referenceId: Uuid('The payment or refund the posting is about'),
  bookingId: Nullable(Uuid()),
  paymentId: Nullable(Uuid()),
  description: Type.String(),
  account: Type.String({ description: 'organizer_payable or platform_commission (this organizer’s share of the books)' }),
  currency: Currency,
  debit: Money('Debit'),
  credit: Money('Credit'),
  createdAt: DateTime(),
});

export const AdminLedgerSchema = Type.Object({
  accounts: Type.Array(
    Type.Object({
      account: Type.String(),
      currency: Currency,
      debits: Type.Integer(),
      credits: Type.Integer(),
      balance: Type.Integer({ description: 'debits − credits' }),
    }),
  ),
  trialBalance: Type.Array(Type.Object({ currency: Currency, debits: Type.Integer(), credits: Type.Integer(), balanced: Type.Boolean() })),
  balanced: Type.Boolean({ description: 'Debits equal credits in every currency' }),
  refunds: Type.Object({
    failed: Type.Integer({ description: 'Refunds the provider did not pay: listed at GET /api/v1/admin/refunds?status=failed' }),
    pending: Type.Integer({ description: 'Refunds not yet confirmed by the provider' }),
  }),
});
