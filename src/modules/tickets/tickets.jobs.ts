import type { Task, TaskList } from 'graphile-worker';
import type { AppContext } from '../../context.js';
import { isAppError } from '../../platform/errors.js';
import { BOOKING_CONFIRMED_TASK, SEND_TICKETS_EMAIL_TASK } from './tickets.repository.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function bookingIdOf(payload: unknown): string | null {
  const id = (payload as { bookingId?: unknown } | null)?.bookingId;
  return typeof id === 'string' && UUID.test(id) ? id : null;
}

/**
 * Jobs of the tickets module (registered in src/platform/jobs/tasks.ts). `booking_confirmed` is
 * enqueued by the payment flow in the confirming transaction. Both are idempotent and throw to be retried.
 */
export function ticketTasks(ctx: AppContext): TaskList {
  /** A booking was paid and confirmed (payments enqueues it in the confirming transaction): issue its tickets; issuance enqueues the email. */
  const bookingConfirmed: Task = async (payload, helpers) => {
    const bookingId = bookingIdOf(payload);
    if (!bookingId) {
      helpers.logger.error(`${BOOKING_CONFIRMED_TASK}: bad payload ${JSON.stringify(payload)}; dropping`);
      return;
    }
    try {
      await ctx.tickets.issueForBooking(bookingId);
    } catch (e) {
      // No such booking will never appear (it was enqueued in the confirming transaction): drop, do not retry.
      if (isAppError(e) && e.status === 404) {
        helpers.logger.error(`${BOOKING_CONFIRMED_TASK}: booking ${bookingId} not found; dropping`);
        return;
      }
      throw e;
    }
  };

  /** Email the buyer their valid tickets (PDF attached). Retried with back-off up to TICKET_EMAIL_MAX_ATTEMPTS. */
  const sendTicketsEmail: Task = async (payload, helpers) => {
    const bookingId = bookingIdOf(payload);
    if (!bookingId) {
      helpers.logger.error(`${SEND_TICKETS_EMAIL_TASK}: bad payload ${JSON.stringify(payload)}; dropping`);
      return;
    }
    await ctx.tickets.sendTicketsEmail(bookingId);
  };

  return { [BOOKING_CONFIRMED_TASK]: bookingConfirmed, [SEND_TICKETS_EMAIL_TASK]: sendTicketsEmail };
}
