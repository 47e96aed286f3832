import crypto from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../helpers/testApp.js';
import { factories } from '../helpers/factories.js';
import { isPgError } from '../../src/platform/db/database.js';
import { newKey, paidBooking, shop, unappliedPayment, type Make } from '../refunds/support.js';

let t: TestApp;
let make: Make;
beforeAll(async () => {
  t = await testApp();
  make = factories(t.db, t.ctx.tokens);
});
afterAll(async () => {
  await t.close();
});

const linesOf = (referenceId: string) =>
  t.db
    .selectFrom('ledger_entries as e').innerJoin('ledger_transactions as l', 'l.id', 'e.transaction_id')
    .select(['l.kind', 'e.account', 'e.organizer_id', 'e.debit', 'e.credit']).where('l.reference_id', '=', referenceId)
    .orderBy('e.account').execute();

async function balanceOf(organizerId: string, auth: Record<string, string>) {
  const res = await t.app.inject({ url: `/api/v1/organizers/${organizerId}/balance`, headers: auth });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().balances as { currency: string; grossSales: number; commission: number; refunds: number; payable: number }[];
}

function refund(bookingId: string, auth: Record<string, string>, items?: { ticketTypeId: string; quantity: number }[]) {
  return t.app.inject({
    method: 'POST', url: `/api/v1/bookings/${bookingId}/refunds`, headers: { ...auth, 'idempotency-key': newKey() }, payload: items ? { items } : {},
  });
}

describe('postings', () => {
  it('a payment posts once: provider clearing against organizer payable and commission; twice is a no-op', async () => {
    const s = await shop(t, make, { commissionBps: 750, types: [{ price: 3333 }] });
    const paid = await paidBooking(t, s, [{ ticketTypeId: s.types[0]!.id, quantity: 3 }]);
    const expected = [
      { kind: 'payment_applied', account: 'organizer_payable', organizer_id: s.organizer.id, debit: 0, credit: 9999 - 749 },
      { kind: 'payment_applied', account: 'platform_commission', organizer_id: s.organizer.id, debit: 0, credit: 749 },
      { kind: 'payment_applied', account: 'provider_clearing:momo', organizer_id: null, debit: 9999, credit: 0 },
    ];
    expect(await linesOf(paid.paymentId)).toEqual(expected);
    const posting = { paymentId: paid.paymentId, bookingId: paid.bookingId, organizerId: s.organizer.id, provider: 'momo', amount: 9999, currency: 'RWF', commissionBps: 750 };
    await t.db.transaction().execute((tx) => t.ctx.ledger.postPaymentApplied(tx, posting));
    await Promise.all([1, 2, 3].map(() => t.db.transaction().execute((tx) => t.ctx.ledger.postPaymentApplied(tx, posting))));
    expect(await linesOf(paid.paymentId)).toEqual(expected);
  });

  it('leaves out zero lines (no commission) and posts nothing for a free payment', async () => {
    const s = await shop(t, make, { commissionBps: 0, types: [{ price: 1000 }] });
    const paid = await paidBooking(t, s, [{ ticketTypeId: s.types[0]!.id, quantity: 1 }]);
    expect((await linesOf(paid.paymentId)).map((l) => l.account)).toEqual(['organizer_payable', 'provider_clearing:momo']);
    const free = crypto.randomUUID();
    await t.db.transaction().execute((tx) =>
      t.ctx.ledger.postPaymentApplied(tx, { paymentId: free, bookingId: paid.bookingId, organizerId: s.organizer.id, provider: 'momo', amount: 0, currency: 'RWF', commissionBps: 500 }),
    );
    expect(await t.db.selectFrom('ledger_transactions').select('id').where('reference_id', '=', free).execute()).toEqual([]);
  });

  it('the database refuses an unbalanced transaction at commit', async () => {
    const attempt = (entries: { account: string; debit: number; credit: number; currency?: string }[]) =>
      t.db.transaction().execute(async (tx) => {
        const { id } = await tx.insertInto('ledger_transactions')
          .values({ kind: 'test', reference_id: crypto.randomUUID(), currency: 'RWF' }).returning('id').executeTakeFirstOrThrow();
        await tx.insertInto('ledger_entries')
          .values(entries.map((e) => ({ transaction_id: id, account: e.account, currency: e.currency ?? 'RWF', debit: e.debit, credit: e.credit }))).execute();
        return id;
      });
    for (const entries of [
      [{ account: 'provider_clearing:momo', debit: 1000, credit: 0 }],
      [{ account: 'provider_clearing:momo', debit: 1000, credit: 0 }, { account: 'organizer_payable', debit: 0, credit: 999 }],
      [{ account: 'provider_clearing:momo', debit: 1000, credit: 0 }, { account: 'organizer_payable', debit: 0, credit: 1000, currency: 'UGX' }],
    ]) {
      const err = await attempt(entries).then(() => undefined, (e: unknown) => e);
      expect(isPgError(err, '23514'), String(err)).toBe(true);
      expect((err as { constraint?: string }).constraint).toBe('ledger_transaction_balanced');
    }
    // A 0/0 line is refused on its own.
    await expect(attempt([{ account: 'x', debit: 0, credit: 0 }])).rejects.toMatchObject({ code: '23514' });
    // Balanced commits.
    const ok = await attempt([{ account: 'provider_clearing:momo', debit: 500, credit: 0 }, { account: 'organizer_payable', debit: 0, credit: 500 }]);
    expect(ok).toBeTruthy();
  });
});

describe('invariant 4 after a mixed run', () => {
  it('debits equal credits per currency, and each organizer’s payable = gross − net commission − refunds', async () => {
    const admin = await make.admin();
    const shops = [
      await shop(t, make, { commissionBps: 725, types: [{ price: 1333 }, { price: 2999 }] }),
      await shop(t, make, { commissionBps: 1000, types: [{ price: 777, currency: 'UGX' }, { price: 12_345, currency: 'UGX' }] }),
    ];
    const expected = new Map<string, { gross: number; refunds: number; commission: number }>();
    for (const s of shops) {
      const [a, b] = [s.types[0]!, s.types[1]!];
      let gross = 0;
      let refunds = 0;
      const payments: { paymentId: string; total: number; refunded: number }[] = [];
      for (let i = 0; i < 6; i++) {
        const p = await paidBooking(t, s, [{ ticketTypeId: a.id, quantity: 1 + i }, { ticketTypeId: b.id, quantity: 1 + (i % 2) }]);
        gross += p.total;
        const row = { paymentId: p.paymentId, total: p.total, refunded: 0 };
        payments.push(row);
        if (i % 3 === 0) {
          const r = await refund(p.bookingId, s.owner.auth);
          expect(r.statusCode, r.body).toBe(201);
          row.refunded += r.json().amount;
        } else if (i % 3 === 1) {
          for (const items of [[{ ticketTypeId: a.id, quantity: 1 }], [{ ticketTypeId: b.id, quantity: 1 }], undefined]) {
            const r = await refund(p.bookingId, s.owner.auth, items);
            if (r.statusCode === 201) row.refunded += r.json().amount;
            if (items) expect(r.statusCode, r.body).toBe(201);
          }
        } else {
          const r = await refund(p.bookingId, s.owner.auth, [{ ticketTypeId: a.id, quantity: 1 }]);
          expect(r.statusCode).toBe(201);
          row.refunded += r.json().amount;
        }
        refunds += row.refunded;
      }
      // Unapplied payments and their automatic refunds: the organizer's balance does not move.
      await unappliedPayment(t, s, [{ ticketTypeId: a.id, quantity: 2 }], { keepJob: false });
      await unappliedPayment(t, s, [{ ticketTypeId: b.id, quantity: 1 }], { reason: 'duplicate_payment', keepJob: false });
      // A failed payment posts nothing.
      const failedBooking = (await t.db.selectFrom('bookings').select('id').where('event_id', '=', s.event.id).executeTakeFirstOrThrow()).id;
      await t.db.insertInto('payments').values({ booking_id: failedBooking, method: 'momo', provider: 'momo', status: 'failed', amount: 5, currency: s.types[0]!.currency, failure_reason: 'APPROVAL_REJECTED' }).execute();

      // Commission by the rule: floor(paid × bps) charged, floor(charged × refunded / paid) reversed, per payment.
      const bps = s.organizer.commission_bps;
      const commission = payments.reduce((n, p) => {
        const charged = Math.floor((p.total * bps) / 10_000);
        return n + charged - Math.floor((charged * p.refunded) / p.total);
      }, 0);
      expected.set(s.organizer.id, { gross, refunds, commission });
    }

    for (const s of shops) {
      const e = expected.get(s.organizer.id)!;
      const [b] = await balanceOf(s.organizer.id, s.owner.auth);
      expect(b).toEqual({ currency: s.types[0]!.currency, grossSales: e.gross, commission: e.commission, refunds: e.refunds, payable: e.gross - e.commission - e.refunds });
      expect(b!.refunds).toBeGreaterThan(0);
      expect(b!.commission).toBeGreaterThan(0);
    }

    // Per currency, over the whole database (every test's postings): debits = credits.
    const { rows } = await sql<{ currency: string; d: number; c: number }>`
      select currency, sum(debit)::bigint as d, sum(credit)::bigint as c from ledger_entries group by currency`.execute(t.db);
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const r of rows) expect(r.d, r.currency).toBe(r.c);
    const books = await t.app.inject({ url: '/api/v1/admin/ledger', headers: admin.auth });
    expect(books.statusCode).toBe(200);
    expect(books.json().balanced).toBe(true);
    expect(books.json().trialBalance.map((x: { currency: string }) => x.currency)).toEqual(expect.arrayContaining(['RWF', 'UGX']));
    expect(books.json().accounts.map((x: { account: string }) => x.account)).toEqual(
      expect.arrayContaining(['organizer_payable', 'platform_commission', 'buyer_refunds_payable', 'provider_clearing:momo']),
    );
  });
});

describe('balance and ledger endpoints', () => {
  it('owners, managers and admins read them; gate staff 403; other tenants and strangers 404', async () => {
    const s = await shop(t, make, { commissionBps: 500, types: [{ price: 2000 }] });
    for (let i = 0; i < 3; i++) await paidBooking(t, s, [{ ticketTypeId: s.types[0]!.id, quantity: 1 }]);
    const manager = await make.member({ organizerId: s.organizer.id, role: 'manager' });
    const gate = await make.member({ organizerId: s.organizer.id, role: 'gate' });
    const other = await make.member();
    const admin = await make.admin();
    for (const url of [`/api/v1/organizers/${s.organizer.id}/balance`, `/api/v1/organizers/${s.organizer.id}/ledger`]) {
      for (const who of [s.owner, manager, admin]) expect((await t.app.inject({ url, headers: who.auth })).statusCode, url).toBe(200);
      expect((await t.app.inject({ url, headers: gate.auth })).statusCode).toBe(403);
      const res = await t.app.inject({ url, headers: other.auth });
      expect(res.statusCode).toBe(404);
      expect(res.json().code).toBe('organizer_not_found');
      expect((await t.app.inject({ url })).statusCode).toBe(401);
    }
    // The other organizer's balance shows none of this one's money.
    expect(await balanceOf(other.organizerId, other.auth)).toEqual([]);
    expect(await balanceOf(s.organizer.id, manager.auth)).toEqual([{ currency: 'RWF', grossSales: 6000, commission: 300, refunds: 0, payable: 5700 }]);

    expect((await t.app.inject({ url: '/api/v1/admin/ledger', headers: s.owner.auth })).statusCode).toBe(403);
    expect((await t.app.inject({ url: '/api/v1/admin/ledger' })).statusCode).toBe(401);
  });

  it('pages the organizer’s entries newest first with a cursor', async () => {
    const s = await shop(t, make, { commissionBps: 500, types: [{ price: 2000 }] });
    for (let i = 0; i < 3; i++) await paidBooking(t, s, [{ ticketTypeId: s.types[0]!.id, quantity: 1 }]);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await t.app.inject({ url: `/api/v1/organizers/${s.organizer.id}/ledger?limit=4${cursor ? `&cursor=${cursor}` : ''}`, headers: s.owner.auth });
      expect(res.statusCode).toBe(200);
      const page = res.json() as { items: { id: string; account: string; kind: string }[]; nextCursor: string | null };
      expect(page.items.length).toBeLessThanOrEqual(4);
      for (const e of page.items) expect(['organizer_payable', 'platform_commission']).toContain(e.account);
      seen.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(6);
    expect(new Set(seen).size).toBe(6);
    expect([...seen].sort().reverse()).toEqual(seen);
    const usd = await t.app.inject({ url: `/api/v1/organizers/${s.organizer.id}/ledger?currency=USD`, headers: s.owner.auth });
    expect(usd.json()).toEqual({ items: [], nextCursor: null });
  });

  it('answers bad input with 400', async () => {
    const s = await shop(t, make);
    for (const q of ['limit=0', 'limit=1000', 'cursor=nope', 'currency=rwf', 'unknown=1', 'limit=abc']) {
      const res = await t.app.inject({ url: `/api/v1/organizers/${s.organizer.id}/ledger?${q}`, headers: s.owner.auth });
      expect(res.statusCode, q).toBe(400);
      expect(res.json().code, q).toBe('validation_failed');
    }
    expect((await t.app.inject({ url: '/api/v1/organizers/not-a-uuid/balance', headers: s.owner.auth })).statusCode).toBe(400);
  });
});
