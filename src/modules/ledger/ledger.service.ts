import type { Db, Tx } from '../../platform/db/database.js';
import type { Actor } from '../../platform/actor.js';
import { errors } from '../../platform/errors.js';
import { MANAGER_ROLES, type OrganizersService } from '../organizers/organizers.service.js';
import { ACCOUNTS, commissionOf, POSTING, refundCommissionShare } from './ledger.accounts.js';
import { ledgerErrors } from './ledger.errors.js';
import { LedgerRepository, type EntryInput } from './ledger.repository.js';

/**
 * The double-entry ledger. Every posting is one ledger_transactions row (unique kind +
 * reference_id, so posting twice is a no-op) with balanced ledger_entries; the database refuses an
 * unbalanced transaction at commit (deferred constraint trigger, migration 0005).
 * All posting methods take the caller's transaction so the money moves with the state change.
 *
 * Amounts are integers in the currency's minor unit; balances are per currency.
 *
 * A refund is posted when it is CREATED, not when the provider confirms it: from that moment the
 * money is owed to the buyer, no longer to the organizer (the liability moves), and the
 * organizer's balance must not pay it out. Whether the provider then pays it is tracked on the
 * refund (pending → succeeded / failed); a failed refund stays listed for an operator
 * (GET /api/v1/admin/refunds?status=failed, counted in GET /api/v1/admin/ledger) and is never
 * silently dropped or reversed in the ledger — the buyer is still owed the money.
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

export interface OrganizerBalance {
  currency: string;
  /** Applied payments. */
  grossSales: number;
  /** Platform commission, net of the share reversed by refunds. */
  commission: number;
  /** Refunded to buyers of this organizer's bookings. */
  refunds: number;
  /** What the platform owes the organizer: grossSales − commission − refunds. */
  payable: number;
}

export interface LedgerEntryView {
  id: string;
  transactionId: string;
  kind: string;
  referenceId: string;
  bookingId: string | null;
  paymentId: string | null;
  description: string;
  account: string;
  currency: string;
  debit: number;
  credit: number;
  createdAt: string;
}

export interface AdminLedgerView {
  accounts: { account: string; currency: string; debits: number; credits: number; balance: number }[];
  trialBalance: { currency: string; debits: number; credits: number; balanced: boolean }[];
  balanced: boolean;
}

function check(p: { amount: number; currency: string }) {
  if (!Number.isSafeInteger(p.amount) || p.amount < 0) throw new Error(`ledger: amount must be a non-negative integer (got ${p.amount})`);
  if (!/^[A-Z]{3}$/.test(p.currency)) throw new Error(`ledger: currency must be an upper-case ISO 4217 code (got ${p.currency})`);
}

export class LedgerService {
  readonly repo: LedgerRepository;

  constructor(
    readonly db: Db,
    private readonly organizers?: OrganizersService,
  ) {
    this.repo = new LedgerRepository(db);
  }

  /** A successful payment applied to a booking: provider clearing ↔ organizer payable + platform commission. */
  async postPaymentApplied(tx: Tx, p: PaymentPosting): Promise<void> {
    check(p);
    if (!Number.isInteger(p.commissionBps) || p.commissionBps < 0 || p.commissionBps > 10_000) {
      throw new Error(`ledger: commissionBps must be an integer 0..10000 (got ${p.commissionBps})`);
    }
    if (p.amount === 0) return; // a free booking moves no money
    const commission = commissionOf(p.amount, p.commissionBps);
    const id = await this.repo.insertTransaction(tx, {
      kind: POSTING.paymentApplied,
      referenceId: p.paymentId,
      organizerId: p.organizerId,
      bookingId: p.bookingId,
      paymentId: p.paymentId,
      currency: p.currency,
      description: `Payment ${p.paymentId} for booking ${p.bookingId} (commission ${p.commissionBps} bps)`,
    });
    if (!id) return; // posted before
    await this.repo.insertEntries(tx, id, p.currency, lines([
      { account: ACCOUNTS.providerClearing(p.provider), organizerId: null, debit: p.amount, credit: 0 },
      { account: ACCOUNTS.organizerPayable, organizerId: p.organizerId, debit: 0, credit: p.amount - commission },
      { account: ACCOUNTS.platformCommission, organizerId: p.organizerId, debit: 0, credit: commission },
    ]));
  }

  /** A successful payment that could not be applied (hold gone, booking already paid): owed back to the buyer. */
  async postPaymentUnapplied(tx: Tx, p: Omit<PaymentPosting, 'commissionBps'>): Promise<void> {
    check(p);
    if (p.amount === 0) return;
    const id = await this.repo.insertTransaction(tx, {
      kind: POSTING.paymentUnapplied,
      referenceId: p.paymentId,
      organizerId: p.organizerId,
      bookingId: p.bookingId,
      paymentId: p.paymentId,
      currency: p.currency,
      description: `Payment ${p.paymentId} for booking ${p.bookingId} could not be applied; owed back to the buyer`,
    });
    if (!id) return;
    await this.repo.insertEntries(tx, id, p.currency, [
      { account: ACCOUNTS.providerClearing(p.provider), organizerId: null, debit: p.amount, credit: 0 },
      { account: ACCOUNTS.buyerRefundsPayable, organizerId: null, debit: 0, credit: p.amount },
    ]);
  }

  /**
   * A refund (posted when it is created): for an applied payment it reverses the organizer's
   * payable and the commission share (proportional to the refunded fraction of the payment,
   * cumulative floor: never more than was charged); for an unapplied payment it settles the
   * buyer's due. Either way the money leaves provider clearing.
   */
  async postRefund(tx: Tx, r: RefundPosting): Promise<void> {
    check(r);
    if (r.amount === 0) return;
    const id = await this.repo.insertTransaction(tx, {
      kind: POSTING.refund,
      referenceId: r.refundId,
      organizerId: r.organizerId,
      bookingId: r.bookingId,
      paymentId: r.paymentId,
      currency: r.currency,
      description: r.applied
        ? `Refund ${r.refundId} of payment ${r.paymentId} (booking ${r.bookingId})`
        : `Refund ${r.refundId} of unapplied payment ${r.paymentId} (booking ${r.bookingId})`,
    });
    if (!id) return;
    const clearing = { account: ACCOUNTS.providerClearing(r.provider), organizerId: null, debit: 0, credit: r.amount };
    if (!r.applied) {
      await this.repo.insertEntries(tx, id, r.currency, [
        { account: ACCOUNTS.buyerRefundsPayable, organizerId: null, debit: r.amount, credit: 0 },
        clearing,
      ]);
      return;
    }
    // Locks the payment's posting: refunds of one payment take their commission share in turn.
    const posted = await this.repo.lockPaymentPosting(tx, r.paymentId);
    if (!posted) throw ledgerErrors.paymentNotPosted(r.paymentId);
    const before = await this.repo.refundedSoFar(tx, r.paymentId, id);
    if (before.refunded + r.amount > posted.paid) throw ledgerErrors.refundExceedsPayment(r.paymentId, posted.paid, before.refunded + r.amount);
    const share = refundCommissionShare({
      paid: posted.paid,
      charged: posted.charged,
      refundedBefore: before.refunded,
      reversedBefore: before.reversed,
      amount: r.amount,
    });
    await this.repo.insertEntries(tx, id, r.currency, lines([
      { account: ACCOUNTS.organizerPayable, organizerId: r.organizerId, debit: r.amount - share, credit: 0 },
      { account: ACCOUNTS.platformCommission, organizerId: r.organizerId, debit: share, credit: 0 },
      clearing,
    ]));
  }

  // ---- reads ----

  /** Owners, managers and admins: the organizer's balance per currency. */
  async organizerBalance(actor: Actor, organizerId: string): Promise<{ organizerId: string; balances: OrganizerBalance[] }> {
    await this.requireOrganizer(actor, organizerId);
    const rows = await this.repo.organizerBalances(organizerId);
    return {
      organizerId,
      balances: rows.map((r) => ({ currency: r.currency, grossSales: r.gross_sales, commission: r.commission, refunds: r.refunds, payable: r.payable })),
    };
  }

  /** Owners, managers and admins: the organizer's ledger lines, newest first. */
  async organizerEntries(
    actor: Actor,
    organizerId: string,
    o: { limit: number; cursor?: string; currency?: string },
  ): Promise<{ items: LedgerEntryView[]; nextCursor: string | null }> {
    await this.requireOrganizer(actor, organizerId);
    const rows = await this.repo.organizerEntries(organizerId, { limit: o.limit + 1, before: o.cursor, currency: o.currency });
    const page = rows.slice(0, o.limit);
    return {
      items: page.map((e) => ({
        id: e.id,
        transactionId: e.transaction_id,
        kind: e.kind,
        referenceId: e.reference_id,
        bookingId: e.booking_id,
        paymentId: e.payment_id,
        description: e.description,
        account: e.account,
        currency: e.currency,
        debit: e.debit,
        credit: e.credit,
        createdAt: e.created_at.toISOString(),
      })),
      nextCursor: rows.length > o.limit ? page[page.length - 1]!.id : null,
    };
  }

  /** Admins: every account's balance per currency, and the trial balance (debits = credits per currency). */
  async adminView(actor: Actor): Promise<AdminLedgerView> {
    if (!actor.isAdmin) throw errors.forbidden('Only a platform admin can read the whole ledger.');
    return this.books();
  }

  /** The books without authorization (doctor, tests). */
  async books(): Promise<AdminLedgerView> {
    const [accounts, trial] = await Promise.all([this.repo.accountBalances(), this.repo.trialBalance()]);
    const trialBalance = trial.map((t) => ({ ...t, balanced: t.debits === t.credits }));
    return {
      accounts: accounts.map((a) => ({ ...a, balance: a.debits - a.credits })),
      trialBalance,
      balanced: trialBalance.every((t) => t.balanced),
    };
  }

  private async requireOrganizer(actor: Actor, organizerId: string) {
    if (!this.organizers) throw new Error('LedgerService was built without OrganizersService');
    await this.organizers.requireRole(actor, organizerId, MANAGER_ROLES);
  }
}

/** Zero lines are left out (a line is a debit or a credit, never 0/0). */
function lines(entries: EntryInput[]): EntryInput[] {
  return entries.filter((e) => e.debit !== 0 || e.credit !== 0);
}
