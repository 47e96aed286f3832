import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, testDatabaseUrl, type TestApp } from '../helpers/testApp.js';
import { factories } from '../helpers/factories.js';
import { startWorker, type WorkerHandle } from '../../src/platform/jobs/runner.js';
import { taskList, TASKS } from '../../src/platform/jobs/tasks.js';
import type { MomoProvider } from '../../src/modules/payments/providers/momo.js';
import { deadPort } from '../payments/providers/support.js';
import { jobHelpers, newKey, paidBooking, shop, unappliedPayment, until, type Make } from './support.js';

/**
 * The provider side of refunds: process_refund against the built-in MoMo sandbox on a real port
 * with a real worker, retries then `failed` when the provider is down, a refusal reported by the
 * provider, and provider updates that are idempotent and monotonic.
 */
let t: TestApp;
let make: Make;
let worker: WorkerHandle | undefined;
beforeAll(async () => {
  t = await testApp({}, { SANDBOX_CONFIRM_DELAY_MS: '100', REFUND_POLL_DELAY_MS: '150', PORT: '0' });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  make = factories(t.db, t.ctx.tokens);
});
afterAll(async () => {
  await worker?.stop();
  await t.close();
});

const refundRow = (id: string) => t.db.selectFrom('refunds').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

/** A payment the sandbox really took (so it can refund it): request-to-pay from a succeeding test number. */
async function sandboxPayment(amount: number): Promise<string> {
  const paymentId = crypto.randomUUID();
  const momo = t.ctx.paymentProviders.get('momo') as MomoProvider;
  await momo.initiate({ paymentId, amount, currency: 'RWF', payerPhone: '+250788100200', description: 'test tickets' });
  await until(() => momo.getStatus(paymentId), (s) => s.status === 'succeeded', 10_000, 'sandbox payment');
  return paymentId;
}

describe('process_refund', () => {
  it('pays a refund back through the MoMo sandbox with a running worker: pending → succeeded', async () => {
    const s = await shop(t, make, { types: [{ price: 2500 }] });
    const paymentId = await sandboxPayment(5000);
    const paid = await paidBooking(t, s, [{ ticketTypeId: s.types[0]!.id, quantity: 2 }], { paymentId });
    const res = await t.app.inject({
      method: 'POST', url: `/api/v1/bookings/${paid.bookingId}/refunds`, headers: { ...s.owner.auth, 'idempotency-key': newKey() }, payload: {},
    });
    expect(res.statusCode, res.body).toBe(201);
    const id = res.json().id as string;

    worker = await startWorker(t.ctx, { connectionString: testDatabaseUrl(), concurrency: 2, pollInterval: 100, crontab: false });
    const done = await until(() => refundRow(id), (r) => r.status !== 'pending', 25_000, 'refund settled');
    expect(done).toMatchObject({ status: 'succeeded', provider_ref: id, failure_reason: null });
    expect(done.attempts).toBeGreaterThanOrEqual(1);
    expect(done.succeeded_at).toBeInstanceOf(Date);
    const view = await t.app.inject({ url: `/api/v1/bookings/${paid.bookingId}/refunds`, headers: s.owner.auth });
    expect(view.json().items[0]).toMatchObject({ id, status: 'succeeded' });
    await worker.stop();
    worker = undefined;
  });

  it('a refund the provider refuses ends failed with the provider’s reason, and stays listed for operators', async () => {
    const s = await shop(t, make, { types: [{ price: 1000 }] });
    // The sandbox never saw this payment: it takes the refund, then reports it FAILED.
    const u = await unappliedPayment(t, s, [{ ticketTypeId: s.types[0]!.id, quantity: 1 }], { keepJob: false });
    const tasks = taskList(t.ctx);
    await tasks[TASKS.processRefund]!({ refundId: u.refundId }, jobHelpers(1));
    expect(await refundRow(u.refundId)).toMatchObject({ status: 'pending', provider_ref: u.refundId, attempts: 1 });
    await until(async () => {
      await tasks[TASKS.pollRefund]!({ refundId: u.refundId, poll: 1 }, jobHelpers(1));
      return refundRow(u.refundId);
    }, (r) => r.status !== 'pending', 10_000, 'refund failed');
    expect(await refundRow(u.refundId)).toMatchObject({ status: 'failed', failure_reason: 'RESOURCE_NOT_FOUND' });

    const admin = await make.admin();
    const failed = await t.app.inject({ url: '/api/v1/admin/refunds?status=failed&limit=200', headers: admin.auth });
    expect(failed.statusCode).toBe(200);
    expect(failed.json().items.map((r: { id: string }) => r.id)).toContain(u.refundId);
    const books = await t.app.inject({ url: '/api/v1/admin/ledger', headers: admin.auth });
    expect(books.json().refunds.failed).toBeGreaterThanOrEqual(1);
    expect((await t.app.inject({ url: '/api/v1/admin/refunds', headers: s.owner.auth })).statusCode).toBe(403);
    expect((await t.app.inject({ url: '/api/v1/admin/refunds?status=lost', headers: admin.auth })).statusCode).toBe(400);
  });

  it('retries while the provider is down, then marks the refund failed on the last attempt', async () => {
    const port = await deadPort();
    const down = await testApp({}, {
      MOMO_BASE_URL: `http://127.0.0.1:${port}`, MOMO_API_USER: 'u', MOMO_API_KEY: 'k', MOMO_SUBSCRIPTION_KEY: 's', PAYMENT_PROVIDER_TIMEOUT_MS: '500',
    });
    try {
      const s = await shop(down, factories(down.db, down.ctx.tokens), { types: [{ price: 3000 }] });
      const u = await unappliedPayment(down, s, [{ ticketTypeId: s.types[0]!.id, quantity: 1 }], { keepJob: false });
      const tasks = taskList(down.ctx);
      for (const attempt of [1, 2]) {
        await expect(tasks[TASKS.processRefund]!({ refundId: u.refundId }, jobHelpers(attempt, 3))).rejects.toMatchObject({ code: 'provider_unavailable' });
        expect(await refundRow(u.refundId)).toMatchObject({ status: 'pending', attempts: attempt, provider_ref: null });
      }
      await tasks[TASKS.processRefund]!({ refundId: u.refundId }, jobHelpers(3, 3));
      const r = await refundRow(u.refundId);
      expect(r).toMatchObject({ status: 'failed', attempts: 3, provider_ref: null });
      expect(r.failure_reason).toMatch(/^no_provider_answer after 3 attempts: provider_unavailable/);
      // A later run of the job changes nothing.
      await tasks[TASKS.processRefund]!({ refundId: u.refundId }, jobHelpers(1, 3));
      expect((await refundRow(u.refundId)).attempts).toBe(3);
    } finally {
      await down.close();
    }
  });

  it('provider updates are idempotent and monotonic', async () => {
    const s = await shop(t, make, { types: [{ price: 1500 }] });
    const u = await unappliedPayment(t, s, [{ ticketTypeId: s.types[0]!.id, quantity: 1 }], { keepJob: false });
    const counted = async () => (await t.ctx.metrics.refundsTotal.get()).values.find((v) => v.labels.outcome === 'succeeded' && v.labels.provider === 'momo')?.value ?? 0;
    const before = await counted();
    await t.ctx.refunds.applyProviderUpdate({ provider: 'momo', refundId: u.refundId, status: 'pending' });
    expect((await refundRow(u.refundId)).status).toBe('pending');
    await Promise.all(Array.from({ length: 5 }, () => t.ctx.refunds.applyProviderUpdate({ provider: 'momo', refundId: u.refundId, status: 'succeeded' })));
    await t.ctx.refunds.applyProviderUpdate({ provider: 'momo', refundId: u.refundId, status: 'failed', reason: 'LATE_NOISE' });
    await t.ctx.refunds.applyProviderUpdate({ provider: 'momo', refundId: u.refundId, status: 'pending' });
    expect(await refundRow(u.refundId)).toMatchObject({ status: 'succeeded', failure_reason: null });
    expect((await counted()) - before).toBe(1);
    // Unknown refunds and another provider's claims are ignored.
    await t.ctx.refunds.applyProviderUpdate({ provider: 'momo', refundId: crypto.randomUUID(), status: 'failed' });
    await t.ctx.refunds.applyProviderUpdate({ provider: 'stripe', refundId: u.refundId, status: 'failed' });
    expect((await refundRow(u.refundId)).status).toBe('succeeded');

    // By the provider's reference; a refund WE gave up on is corrected by the provider's success.
    const v = await unappliedPayment(t, s, [{ ticketTypeId: s.types[0]!.id, quantity: 1 }], { keepJob: false });
    await t.db.updateTable('refunds').set({ provider_ref: `ref-${v.refundId}` }).where('id', '=', v.refundId).execute();
    await t.ctx.refunds.applyProviderUpdate({ provider: 'momo', providerRef: `ref-${v.refundId}`, status: 'failed', reason: 'NOT_ENOUGH_FUNDS' });
    expect(await refundRow(v.refundId)).toMatchObject({ status: 'failed', failure_reason: 'NOT_ENOUGH_FUNDS' });
    await t.ctx.refunds.applyProviderUpdate({ provider: 'momo', providerRef: `ref-${v.refundId}`, status: 'succeeded' });
    expect((await refundRow(v.refundId)).status).toBe('failed'); // the provider said failed: final
    const w = await unappliedPayment(t, s, [{ ticketTypeId: s.types[0]!.id, quantity: 1 }], { keepJob: false });
    await t.db.updateTable('refunds').set({ status: 'failed', failure_reason: 'no_provider_answer after 8 attempts: provider_unavailable' }).where('id', '=', w.refundId).execute();
    await t.ctx.refunds.applyProviderUpdate({ provider: 'momo', refundId: w.refundId, status: 'succeeded' });
    expect((await refundRow(w.refundId)).status).toBe('succeeded');
  });
});
