import { sql } from 'kysely';
import type { Db, Executor } from '../../../platform/db/database.js';
import type { SandboxMomoTransactionsTable } from '../../../platform/db/schema.js';
import type { Insertable, Selectable } from 'kysely';

export type SandboxTransaction = Selectable<SandboxMomoTransactionsTable>;
export type SandboxKind = SandboxMomoTransactionsTable['kind'];

/** A transaction as it is visible now: the decided outcome only once decide_at has passed. */
export interface SandboxTransactionView extends SandboxTransaction {
  visible_status: 'PENDING' | 'SUCCESSFUL' | 'FAILED';
}

/** All SQL of the MoMo simulator. Times are compared with the database clock so every process agrees. */
export class SandboxRepository {
  constructor(private readonly db: Db) {}

  /** Inserts a new transaction; false when (kind, reference id) already exists. */
  async insertTransaction(row: Insertable<SandboxMomoTransactionsTable>, delayMs: number | null, db: Executor = this.db): Promise<boolean> {
    const res = await db
      .insertInto('sandbox_momo_transactions')
      .values({
        ...row,
        decide_at: delayMs === null ? null : sql<Date>`now() + make_interval(secs => ${delayMs / 1000})`,
      })
      .onConflict((oc) => oc.columns(['kind', 'reference_id']).doNothing())
      .returning('reference_id')
      .executeTakeFirst();
    return res !== undefined;
  }

  async findTransaction(kind: SandboxKind, referenceId: string, db: Executor = this.db): Promise<SandboxTransactionView | undefined> {
    return db
      .selectFrom('sandbox_momo_transactions')
      .selectAll()
      .select(
        sql<'PENDING' | 'SUCCESSFUL' | 'FAILED'>`case when decide_at is not null and decide_at <= now() then outcome else 'PENDING' end`.as(
          'visible_status',
        ),
      )
      .where('kind', '=', kind)
      .where('reference_id', '=', referenceId)
      .executeTakeFirst();
  }

  /** Locks a request-to-pay while a refund of it is decided. */
  async lockTransaction(kind: SandboxKind, referenceId: string, db: Executor): Promise<SandboxTransactionView | undefined> {
    return db
      .selectFrom('sandbox_momo_transactions')
      .selectAll()
      .select(
        sql<'PENDING' | 'SUCCESSFUL' | 'FAILED'>`case when decide_at is not null and decide_at <= now() then outcome else 'PENDING' end`.as(
          'visible_status',
        ),
      )
      .where('kind', '=', kind)
      .where('reference_id', '=', referenceId)
      .forUpdate()
      .executeTakeFirst();
  }

  /** Sum (as numeric text) of refunds of a payment that have not failed. */
  async sumRefunds(referenceIdToRefund: string, db: Executor): Promise<number> {
    const row = await db
      .selectFrom('sandbox_momo_transactions')
      .select(sql<string>`coalesce(sum(amount::numeric), 0)::text`.as('total'))
      .where('kind', '=', 'refund')
      .where('reference_id_to_refund', '=', referenceIdToRefund)
      .where('outcome', '=', 'SUCCESSFUL')
      .executeTakeFirstOrThrow();
    return Number(row.total);
  }

  /** Claims the right to send the callback (once, across processes); returns the row if this caller won. */
  async claimCallback(kind: SandboxKind, referenceId: string): Promise<SandboxTransactionView | undefined> {
    const row = await this.db
      .updateTable('sandbox_momo_transactions')
      .set({ callback_sent_at: sql<Date>`now()` })
      .where('kind', '=', kind)
      .where('reference_id', '=', referenceId)
      .where('callback_sent_at', 'is', null)
      .where('callback_url', 'is not', null)
      .where('decide_at', '<=', sql<Date>`now()`)
      .returningAll()
      .executeTakeFirst();
    return row ? { ...row, visible_status: row.outcome } : undefined;
  }

  /** Milliseconds until the outcome of a transaction becomes visible (by the database clock). */
  async msUntilDecided(kind: SandboxKind, referenceId: string): Promise<number | null> {
    const row = await this.db
      .selectFrom('sandbox_momo_transactions')
      .select(sql<number | null>`(extract(epoch from decide_at - now()) * 1000)::float8`.as('ms'))
      .where('kind', '=', kind)
      .where('reference_id', '=', referenceId)
      .executeTakeFirst();
    return row?.ms ?? null;
  }
}
