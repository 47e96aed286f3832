import type { Db, Tx } from '../../platform/db/database.js';
import type { RefundReason } from '../../platform/db/schema.js';

/**
 * CONTRACT (implementation in progress): refunds — requested by organizers/admins, on event
 * cancellation, and automatic for successful payments that could not be applied.
 */
export class RefundsService {
  constructor(readonly db: Db) {}

  /**
   * Inside the caller's transaction: record a full refund of a successful payment that was NOT
   * applied to its booking (reason late_payment or duplicate_payment), post it to the ledger and
   * enqueue the provider refund job. Idempotent per payment. Returns the refund id.
   */
  async createAutoRefund(_tx: Tx, _input: { paymentId: string; reason: Extract<RefundReason, 'late_payment' | 'duplicate_payment'> }): Promise<string> {
    throw new Error('not implemented');
  }

  /**
   * A provider reported a refund's status (webhook or poll). Idempotent and monotonic: a final
   * status is never undone. Identify the refund by our id or the provider's refund reference.
   */
  async applyProviderUpdate(_input: { provider: string; refundId?: string; providerRef?: string; status: 'pending' | 'succeeded' | 'failed'; reason?: string }): Promise<void> {
    throw new Error('not implemented');
  }
}
