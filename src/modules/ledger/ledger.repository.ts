import { sql } from 'kysely';
import type { Db, Executor } from '../../platform/db/database.js';
import { ACCOUNTS, POSTING } from './ledger.accounts.js';

export interface TransactionInput {
  kind: string;
  referenceId: string;
  organizerId: string | null;
  bookingId: string | null;
  paymentId: string | null;
  currency: string;
  description: string;
}

export interface EntryInput {
  account: string;
  organizerId: string | null;
  debit: number;
  credit: number;
}

export interface OrganizerBalanceRow {
  currency: string;
  gross_sales: number;
  commission: number;
  refunds: number;
  payable: number;
}

export interface OrganizerEntryRow {
  id: string;
  transaction_id: string;
  kind: string;
  reference_id: string;
  booking_id: string | null;
  payment_id: string | null;
  description: string;
  account: string;
  currency: string;
  debit: number;
  credit: number;
  created_at: Date;
}

export interface AccountBalanceRow {
  account: string;
  currency: string;
  debits: number;
  credits: number;
}

/** All SQL of the ledger. Postings take the caller's transaction. */
export class LedgerRepository {
  constructor(private readonly db: Db) {}

  /** insertTransaction: the posting's header, once per (kind, reference); undefined when it already exists. */
  async insertTransaction(tx: Executor, t: TransactionInput): Promise<string | undefined> {
    const { rows } = await sql<{ id: string }>`
      /* ledger.insertTransaction */
      insert into ledger_transactions (kind, reference_id, organizer_id, booking_id, payment_id, currency, description)
      values (${t.kind}, ${t.referenceId}, ${t.organizerId}, ${t.bookingId}, ${t.paymentId}, ${t.currency}, ${t.description})
      on conflict (kind, reference_id) do nothing
      returning id`.execute(tx);
    return rows[0]?.id;
  }

  /** insertEntries: the lines of one posting (the deferred trigger checks the balance at commit). */
  async insertEntries(tx: Executor, transactionId: string, currency: string, entries: EntryInput[]): Promise<void> {
    if (entries.length === 0) return;
    await tx
      .insertInto('ledger_entries')
      .values(entries.map((e) => ({ transaction_id: transactionId, account: e.account, organizer_id: e.organizerId, currency, debit: e.debit, credit: e.credit })))
      .execute();
  }

  /**
   * lockPaymentPosting: the applied payment's posting (what it brought in and the commission
   * charged), locked so refunds of one payment compute their commission share one at a time.
   */
  async lockPaymentPosting(tx: Executor, paymentId: string): Promise<{ id: string; paid: number; charged: number } | undefined> {
    const { rows } = await sql<{ id: string; paid: number; charged: number }>`
      /* ledger.lockPaymentPosting */
      with t as (
        select id from ledger_transactions where kind = ${POSTING.paymentApplied} and reference_id = ${paymentId} for update
      )
      select t.id,
             coalesce((select sum(e.debit) from ledger_entries e where e.transaction_id = t.id and e.account like 'provider_clearing:%'), 0)::bigint as paid,
             coalesce((select sum(e.credit) from ledger_entries e where e.transaction_id = t.id and e.account = ${ACCOUNTS.platformCommission}), 0)::bigint as charged
      from t`.execute(tx);
    return rows[0];
  }

  /** refundedSoFar: refunds of a payment already posted (amount, and commission reversed), besides `exceptTransactionId`. */
  async refundedSoFar(tx: Executor, paymentId: string, exceptTransactionId: string): Promise<{ refunded: number; reversed: number }> {
    const { rows } = await sql<{ refunded: number; reversed: number }>`
      /* ledger.refundedSoFar */
      select coalesce(sum(e.credit) filter (where e.account like 'provider_clearing:%'), 0)::bigint as refunded,
             coalesce(sum(e.debit) filter (where e.account = ${ACCOUNTS.platformCommission}), 0)::bigint as reversed
      from ledger_transactions t join ledger_entries e on e.transaction_id = t.id
      where t.kind = ${POSTING.refund} and t.payment_id = ${paymentId} and t.id <> ${exceptTransactionId}`.execute(tx);
    return rows[0]!;
  }

  /**
   * organizerBalances: per currency, from the organizer's own lines (organizer_payable and the
   * commission taken on its sales): gross sales (credited by applied payments), net commission,
   * refunds (debited by refunds) and what we owe (organizer_payable's balance).
   */
  async organizerBalances(organizerId: string): Promise<OrganizerBalanceRow[]> {
    const { rows } = await sql<OrganizerBalanceRow>`
      /* ledger.organizerBalances */
      select e.currency,
             coalesce(sum(e.credit) filter (where t.kind = ${POSTING.paymentApplied}), 0)::bigint as gross_sales,
             coalesce(sum(e.credit - e.debit) filter (where e.account = ${ACCOUNTS.platformCommission}), 0)::bigint as commission,
             coalesce(sum(e.debit) filter (where t.kind = ${POSTING.refund}), 0)::bigint as refunds,
             coalesce(sum(e.credit - e.debit) filter (where e.account = ${ACCOUNTS.organizerPayable}), 0)::bigint as payable
      from ledger_entries e join ledger_transactions t on t.id = e.transaction_id
      where e.organizer_id = ${organizerId}
        and e.account in (${ACCOUNTS.organizerPayable}, ${ACCOUNTS.platformCommission})
      group by e.currency
      order by e.currency`.execute(this.db);
    return rows;
  }

  /** organizerEntries: the organizer's lines, newest first, keyset-paginated on the (time-ordered) entry id. */
  async organizerEntries(organizerId: string, o: { limit: number; before?: string; currency?: string }): Promise<OrganizerEntryRow[]> {
    let q = this.db
      .selectFrom('ledger_entries as e')
      .innerJoin('ledger_transactions as t', 't.id', 'e.transaction_id')
      .select([
        'e.id', 'e.transaction_id', 't.kind', 't.reference_id', 't.booking_id', 't.payment_id', 't.description',
        'e.account', 'e.currency', 'e.debit', 'e.credit', 'e.created_at',
      ])
      .where('e.organizer_id', '=', organizerId);
    if (o.before) q = q.where('e.id', '<', o.before);
    if (o.currency) q = q.where('e.currency', '=', o.currency);
    return q.orderBy('e.id', 'desc').limit(o.limit).execute();
  }

  /** accountBalances: every account per currency (organizer accounts summed over organizers). */
  async accountBalances(): Promise<AccountBalanceRow[]> {
    const { rows } = await sql<AccountBalanceRow>`
      /* ledger.accountBalances */
      select account, currency, sum(debit)::bigint as debits, sum(credit)::bigint as credits
      from ledger_entries group by account, currency order by currency, account`.execute(this.db);
    return rows;
  }

  /** trialBalance: total debits and credits per currency (equal when the books balance). */
  async trialBalance(): Promise<{ currency: string; debits: number; credits: number }[]> {
    const { rows } = await sql<{ currency: string; debits: number; credits: number }>`
      /* ledger.trialBalance */
      select currency, sum(debit)::bigint as debits, sum(credit)::bigint as credits
      from ledger_entries group by currency order by currency`.execute(this.db);
    return rows;
  }
}
