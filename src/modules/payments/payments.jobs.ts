import type { Task, TaskList } from 'graphile-worker';
import type { AppContext } from '../../context.js';
import { POLL_PAYMENT_TASK, PROCESS_WEBHOOK_TASK } from './payments.repository.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Background jobs of the payment flow (registered in src/platform/jobs/tasks.ts). Each is
 * idempotent, checks its payload, and throws to be retried with graphile-worker's back-off.
 */
export function paymentTasks(ctx: AppContext): TaskList {
  /** Ask the provider how a pending payment went; reschedules itself with back-off (keyed per payment). */
  const pollPayment: Task = async (payload, helpers) => {
    const p = payload as { paymentId?: unknown; attempt?: unknown } | null;
    if (typeof p?.paymentId !== 'string' || !UUID.test(p.paymentId)) {
      helpers.logger.error(`${POLL_PAYMENT_TASK}: bad payload ${JSON.stringify(payload)}; dropping`);
      return;
    }
    const attempt = typeof p.attempt === 'number' && Number.isInteger(p.attempt) && p.attempt >= 0 ? p.attempt : 0;
    await ctx.payments.poll(p.paymentId, attempt);
  };

  /** Apply one stored webhook event (the inbox row id). */
  const processWebhookEvent: Task = async (payload, helpers) => {
    const eventId = (payload as { eventId?: unknown } | null)?.eventId;
    if (typeof eventId !== 'string' || !UUID.test(eventId)) {
      helpers.logger.error(`${PROCESS_WEBHOOK_TASK}: bad payload ${JSON.stringify(payload)}; dropping`);
      return;
    }
    await ctx.payments.webhooks.process(eventId);
  };

  return {
    [POLL_PAYMENT_TASK]: pollPayment,
    [PROCESS_WEBHOOK_TASK]: processWebhookEvent,
  };
}
