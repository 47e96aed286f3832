/**
 * Every audited action, by its dotted name. An action is recorded in the same transaction as the
 * change it describes (`ctx.audit.record(tx, …)`), so the log never shows a change that rolled
 * back nor misses one that committed.
 *
 * Recorded:
 *   organizer.created, organizer.updated (name), organizer.commission_changed,
 *   member.added, member.removed,
 *   venue.created, venue.updated,
 *   event.created, event.updated, event.published, event.cancelled, event.completed,
 *   ticket_type.created, ticket_type.updated, ticket_type.capacity_changed, ticket_type.price_changed,
 *   user.disabled, user.enabled, user.deleted, admin.created,
 *   payment.review_resolved, refund.requested, booking.refunded (refunds by organizers, admins and
 *   event cancellation; actor null for the system), checkin_list.created.
 */
export const AUDIT_ACTIONS = [
  'organizer.created',
  'organizer.updated',
  'organizer.commission_changed',
  'member.added',
  'member.removed',
  'member.role_changed',
  'venue.created',
  'venue.updated',
  'event.created',
  'event.updated',
  'event.published',
  'event.cancelled',
  'event.completed',
  'ticket_type.created',
  'ticket_type.updated',
  'ticket_type.capacity_changed',
  'ticket_type.price_changed',
  'user.disabled',
  'user.enabled',
  'user.deleted',
  'admin.created',
  'payment.review_resolved',
  'booking.refunded',
  'refund.requested',
  'checkin_list.created',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];
