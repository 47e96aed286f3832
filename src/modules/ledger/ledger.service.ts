import type { Db, Tx } from '../../platform/db/database.js';

/**
 * CONTRACT (implementation in progress): the double-entry ledger. Every posting is one
 * ledger_transactions row (unique kind + reference_id, so posting twice is a no-op) with
 * balanced ledger_entries; the database refuses an unbalanced transaction at commit.
 * All methods take the caller's transaction so the money moves with the state change.
 */
export interface PaymentPosting {
  paymentId: string;
  bookingId: string;
  organizerId: string;
  provider: string;
  amount: number;
  currency: string;
  commissionBps: number;
}

export interface RefundPosting {
  refundId: string;
  paymentId: string;
  bookingId: string;
  organizerId: string;
  provider: string;
  amount: number;
  currency: string;
  /** true when the refunded payment had been applied to the booking (organizer's money); false for auto refunds of unapplied payments. */
  applied: boolean;
}

export class LedgerService {
  constructor(readonly db: Db) {}

  /** A successful payment applied to a booking: provider clearing ↔ organizer payable + platform commission. */
  async postPaymentApplied(_tx: Tx, _p: PaymentPosting): Promise<void> {
    throw new Error('not implemented');
  }

  /** A successful payment that could not be applied (hold gone, booking already paid): owed back to the buyer. */
  async postPaymentUnapplied(_tx: Tx, _p: Omit<PaymentPosting, 'commissionBps'>): Promise<void> {
    throw new Error('not implemented');
  }

  /** A refund: reverses the organizer's payable and the commission share, or the buyer's due for unapplied payments. */
  async postRefund(_tx: Tx, _r: RefundPosting): Promise<void> {
    throw new Error('not implemented');
  }
}
