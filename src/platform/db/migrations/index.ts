import type { Migration } from 'kysely';
import * as m0001 from './0001_foundation.js';
import * as m0003 from './0003_bookings.js';
import * as m0004 from './0004_sandbox.js';
import * as m0005 from './0005_payments.js';
import * as m0006 from './0006_payment_flow.js';
import * as m0007 from './0007_ledger_refunds.js';
import * as m0008 from './0008_tickets.js';
import * as m0009 from './0009_audit.js';
import * as m0010 from './0010_idempotency_resource.js';

/**
 * Every migration, in order. Listed explicitly (not read from the file system) so the compiled
 * build, tsx and the tests all see the same set. Add new ones at the end; never edit a shipped one.
 */
export const migrations: Record<string, Migration> = {
  '0001_foundation': m0001,
  '0003_bookings': m0003,
  '0004_sandbox': m0004,
  '0005_payments': m0005,
  '0006_payment_flow': m0006,
  '0007_ledger_refunds': m0007,
  '0008_tickets': m0008,
  '0009_audit': m0009,
  '0010_idempotency_resource': m0010,
};
