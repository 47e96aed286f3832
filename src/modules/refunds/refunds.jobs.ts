import type { Task, TaskList } from 'graphile-worker';
import type { AppContext } from '../../context.js';
import { POLL_REFUND_TASK, PROCESS_REFUND_TASK, REFUND_CANCELLED_EVENT_TASK } from './refunds.repository.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The refund jobs. Each is idempotent and checks its payload at run time:
 *  - process_refund {refundId}: the provider refund call, retried with graphile-worker's back-off
 *    (max_attempts = REFUND_MAX_ATTEMPTS; the last attempt marks the refund failed with the reason);
 *  - poll_refund {refundId, poll}: the provider's status of a pending refund, with back-off;
 *  - refund_cancelled_event {eventId, after}: one batch of a cancelled event's refunds; enqueues
 *    the next batch and throws (to be retried) if a booking of this batch could not be refunded.
 */
export function refundTasks(ctx: AppContext): TaskList {
  const processRefund: Task = async (payload, helpers) => {
    const refundId = (payload as { refundId?: unknown } | null)?.refundId;
    if (typeof refundId !== 'string' || !UUID.test(refundId)) {
      helpers.logger.error(`${PROCESS_REFUND_TASK}: bad payload ${JSON.stringify(payload)}; dropping`);
      return;
    }
    await ctx.refunds.processRefund(refundId, { attempt: helpers.job.attempts, maxAttempts: helpers.job.max_attempts });
  };

  const pollRefund: Task = async (payload, helpers) => {
    const p = payload as { refundId?: unknown; poll?: unknown } | null;
    if (typeof p?.refundId !== 'string' || !UUID.test(p.refundId) || !Number.isInteger(p.poll)) {
      helpers.logger.error(`${POLL_REFUND_TASK}: bad payload ${JSON.stringify(payload)}; dropping`);
      return;
    }
    await ctx.refunds.pollRefund(p.refundId, p.poll as number);
  };

  const refundCancelledEvent: Task = async (payload, helpers) => {
    const p = payload as { eventId?: unknown; after?: unknown } | null;
    if (typeof p?.eventId !== 'string' || !UUID.test(p.eventId) || (p.after !== null && p.after !== undefined && (typeof p.after !== 'string' || !UUID.test(p.after)))) {
      helpers.logger.error(`${REFUND_CANCELLED_EVENT_TASK}: bad payload ${JSON.stringify(payload)}; dropping`);
      return;
    }
    const after = (p.after as string | null | undefined) ?? null;
    const batch = await ctx.refunds.refundCancelledEventBatch(p.eventId, after);
    if (batch.refunded || batch.cancelled) ctx.log.info({ eventId: p.eventId, ...batch }, 'cancelled event: batch refunded');
    // The next batch first, so a failure here does not stop the rest of the event.
    if (batch.more) await ctx.refunds.repo.enqueueCancelledEvent(ctx.db, p.eventId, batch.next);
    if (batch.failed.length) throw new Error(`${batch.failed.length} booking(s) of cancelled event ${p.eventId} could not be refunded: ${batch.failed.join(', ')}`);
  };

  return {
    [PROCESS_REFUND_TASK]: processRefund,
    [POLL_REFUND_TASK]: pollRefund,
    [REFUND_CANCELLED_EVENT_TASK]: refundCancelledEvent,
  };
}
