import type { Task, TaskList } from 'graphile-worker';
import type { AppContext } from '../../context.js';
import { EXPIRE_BOOKING_TASK } from '../../modules/inventory/inventory.repository.js';
import { paymentTasks } from '../../modules/payments/payments.jobs.js';
import { ticketTasks } from '../../modules/tickets/tickets.jobs.js';
import { SEND_TICKETS_EMAIL_TASK } from '../../modules/tickets/tickets.repository.js';
import { refundTasks } from '../../modules/refunds/refunds.jobs.js';
import { POLL_REFUND_TASK, PROCESS_REFUND_TASK, REFUND_CANCELLED_EVENT_TASK } from '../../modules/refunds/refunds.repository.js';
import { POLL_PAYMENT_TASK, PROCESS_WEBHOOK_TASK } from '../../modules/payments/payments.repository.js';
import { BOOKING_CONFIRMED_TASK } from '../../modules/tickets/tickets.repository.js';

/**
 * The task registry: every background job Tikiti runs. Tasks are idempotent (a job may run more
 * than once), check their payload at run time, and throw to be retried with back-off.
 */
export const TASKS = {
  expireBooking: EXPIRE_BOOKING_TASK,
  expirySweep: 'expiry_sweep',
  purgeIdempotencyKeys: 'purge_idempotency_keys',
  pollPayment: POLL_PAYMENT_TASK,
  processWebhookEvent: PROCESS_WEBHOOK_TASK,
  bookingConfirmed: BOOKING_CONFIRMED_TASK,
  sendTicketsEmail: SEND_TICKETS_EMAIL_TASK,
  processRefund: PROCESS_REFUND_TASK,
  pollRefund: POLL_REFUND_TASK,
  refundCancelledEvent: REFUND_CANCELLED_EVENT_TASK,
} as const;

/** Job key of the self-rescheduling expiry sweep (one per database, however many workers). */
export const EXPIRY_SWEEP_KEY = 'expiry-sweep';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function taskList(ctx: AppContext): TaskList {
  const expireBooking: Task = async (payload, helpers) => {
    const bookingId = (payload as { bookingId?: unknown } | null)?.bookingId;
    if (typeof bookingId !== 'string' || !UUID.test(bookingId)) {
      helpers.logger.error(`expire_booking: bad payload ${JSON.stringify(payload)}; dropping`);
      return;
    }
    const released = await ctx.bookings.expire(bookingId);
    if (released) ctx.log.info({ bookingId }, 'booking expired; holds released');
  };

  const expirySweep: Task = async (_payload, helpers) => {
    // Schedule the next round first, so a crash mid-sweep does not end the chain.
    await helpers.addJob(TASKS.expirySweep, {}, {
      jobKey: EXPIRY_SWEEP_KEY,
      runAt: new Date(Date.now() + ctx.config.EXPIRY_SWEEP_SECONDS * 1000),
    });
    const n = await ctx.bookings.sweepExpired();
    if (n > 0) ctx.log.info({ expired: n }, 'expiry sweep released holds');
  };

  const purgeIdempotencyKeys: Task = async () => {
    const n = await ctx.idempotency.purgeExpired();
    if (n > 0) ctx.log.info({ purged: n }, 'idempotency keys purged');
  };

  return {
    [TASKS.expireBooking]: expireBooking,
    [TASKS.expirySweep]: expirySweep,
    [TASKS.purgeIdempotencyKeys]: purgeIdempotencyKeys,
    ...paymentTasks(ctx),
    ...refundTasks(ctx),
    ...ticketTasks(ctx),
  };
}

/** Recurring jobs by crontab (minute granularity); the sub-minute sweep reschedules itself. */
export const CRONTAB = [
  `0 * * * * ${TASKS.purgeIdempotencyKeys} ?max=1`,
  // Restarts the sweep chain should it ever break (job_key: never more than one queued).
  `* * * * * ${TASKS.expirySweep} ?jobKey=${EXPIRY_SWEEP_KEY}&jobKeyMode=preserve_run_at`,
].join('\n');
