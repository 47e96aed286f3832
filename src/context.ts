import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Db } from './platform/db/database.js';
import { jwtSecret } from './platform/secrets.js';
import { createMetrics, type Metrics } from './platform/observability/metrics.js';
import { HealthHooks } from './platform/observability/healthHooks.js';
import { instrumentContext } from './platform/observability/collectors.js';
import { Tokens } from './modules/identity/tokens.js';
import { IdentityService } from './modules/identity/identity.service.js';
import { OrganizersService } from './modules/organizers/organizers.service.js';
import { EventsService } from './modules/events/events.service.js';
import { IdempotencyService } from './platform/http/idempotency.js';
import { InventoryService } from './modules/inventory/inventory.service.js';
import { BookingsService } from './modules/bookings/bookings.service.js';
import { createPaymentProviders, type ProviderRegistry } from './modules/payments/providers/index.js';
import { LedgerService } from './modules/ledger/ledger.service.js';
import { RefundsService } from './modules/refunds/refunds.service.js';
import { PaymentsService } from './modules/payments/payments.service.js';
import { NotificationsService } from './modules/notifications/notifications.service.js';
import { TicketsService } from './modules/tickets/tickets.service.js';
import { CheckinService } from './modules/tickets/tickets.checkin.js';
import { AuditService } from './modules/audit/audit.service.js';
import { AdminService } from './modules/admin/admin.service.js';

/**
 * The services of every domain, wired once per process. Routes reach them through `app.ctx`;
 * tests build the same context against their own database.
 */
export interface AppContext {
  config: Config;
  db: Db;
  /** The read replica (DATABASE_REPLICA_URL) for catalogue reads, else the same as db. */
  readDb: Db;
  /** The audit log: `audit.record(tx, …)` in the transaction of every privileged change. */
  audit: AuditService;
  /** Platform admin: search users and organizers. */
  admin: AdminService;
  log: Logger;
  /** Prometheus metrics of this context (business counters: `ctx.metrics.bookingsCreated.inc()`). */
  metrics: Metrics;
  /** Hooks feeding GET /health/detailed (payments registers breaker states here). */
  health: HealthHooks;
  tokens: Tokens;
  identity: IdentityService;
  organizers: OrganizersService;
  events: EventsService;
  idempotency: IdempotencyService;
  inventory: InventoryService;
  bookings: BookingsService;
  /** Payment providers (momo, stripe) per method, behind circuit breakers, with failover. */
  paymentProviders: ProviderRegistry;
  ledger: LedgerService;
  refunds: RefundsService;
  /** The payment flow: create, apply provider answers, poll, webhooks inbox, fraud review. */
  payments: PaymentsService;
  /** Email (nodemailer: SMTP, or .eml files in <data>/mail). */
  notifications: NotificationsService;
  /** Tickets: issueForBooking / revokeForBooking (called by payments' and refunds' flows), QR, PDF, email. */
  tickets: TicketsService;
  /** Check-in lists, online scans, offline download and sync, live counts. */
  checkin: CheckinService;
}

export function createContext(config: Config, db: Db, log: Logger, opts: { readDb?: Db } = {}): AppContext {
  const metrics = createMetrics();
  const health = new HealthHooks();
  instrumentContext(metrics, { db, health });
  const tokens = new Tokens(jwtSecret(config), config.ACCESS_TOKEN_TTL_SECONDS);
  const audit = new AuditService(db);
  const readDb = opts.readDb ?? db;
  const identity = new IdentityService(db, config, tokens, audit);
  const organizers = new OrganizersService(db, audit);
  audit.organizers = organizers;
  const events = new EventsService(db, organizers, { audit, readDb });
  const admin = new AdminService(db, identity);
  const idempotency = new IdempotencyService(db);
  const inventory = new InventoryService(db, config, log);
  const bookings = new BookingsService(db, config, inventory, organizers, log);
  const paymentProviders = createPaymentProviders(config, log);
  const ledger = new LedgerService(db, organizers);
  const notifications = new NotificationsService(config, log);
  const ticketsLog = log.child({ module: 'tickets' });
  const keySecret = config.TICKET_KEY_SECRET ? new TextEncoder().encode(config.TICKET_KEY_SECRET) : jwtSecret(config);
  const tickets = new TicketsService({ db, config, log: ticketsLog, organizers, bookings, notifications, keySecret });
  const refunds = new RefundsService(db, { config, log, metrics, ledger, organizers, bookings, paymentProviders, tickets, audit });
  // Cancelling an event enqueues the refund of its bookings in the same transaction.
  events.onEventCancelled = (tx, eventId) => refunds.enqueueEventCancellation(tx, eventId);
  const payments = new PaymentsService({ db, config, log: log.child({ module: 'payments' }), metrics, health, paymentProviders, bookings, ledger, refunds, audit, organizers });
  const checkin = new CheckinService(db, config, ticketsLog, organizers, tickets, audit);
  return { config, db, readDb, audit, admin, log, metrics, health, tokens, identity, organizers, events, idempotency, inventory, bookings, paymentProviders, ledger, refunds, payments, notifications, tickets, checkin };
}
