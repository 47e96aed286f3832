import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Config } from '../../config.js';

/** OpenAPI 3.1 generated from the route schemas: /openapi.json, browsable at /docs. */
export async function registerOpenApi(app: FastifyInstance, config: Config) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Tikiti API',
        version: '1.0.0',
        description:
          'Ticketing backend: events, ticket types, bookings, payments. Errors are RFC 9457 problem+json with a stable `code`.',
        license: { name: 'MIT', identifier: 'MIT' },
      },
      servers: [{ url: config.PUBLIC_URL ?? `http://localhost:${config.PORT}`, description: 'This server' }],
      tags: [
        { name: 'health', description: 'Liveness and readiness' },
        { name: 'auth', description: 'Accounts and sessions' },
        { name: 'organizers', description: 'Organizers, members and commission' },
        { name: 'venues', description: 'Venues of an organizer' },
        { name: 'events', description: 'Events and the public catalogue' },
        { name: 'ticket-types', description: 'Ticket types of an event' },
        { name: 'availability', description: 'Tickets remaining (for display)' },
        { name: 'bookings', description: 'Bookings: hold tickets, read, cancel (Idempotency-Key on create)' },
        { name: 'refunds', description: 'Refunds of bookings: full or per ticket, on event cancellation, automatic for unapplied payments' },
        { name: 'ledger', description: 'Double-entry ledger: organizer balances and entries, the admin trial balance' },
        { name: 'payments', description: 'Paying for bookings (mobile money, card) and fraud review' },
        { name: 'webhooks', description: 'Payment provider callbacks (MTN MoMo, Stripe)' },
        { name: 'tickets', description: 'The buyer’s tickets: signed QR payloads, QR PNG, PDF, email resend' },
        { name: 'check-in', description: 'The gate: event public keys, check-in lists, scans (admitted once per list), offline download and sync, live counts' },
        { name: 'audit', description: 'Audit log of privileged actions: organizers read their own, admins all' },
        { name: 'admin', description: 'Platform operators: users (search, disable), organizers, the audit log' },
      ],
      // Any route accepts an optional bearer token; routes that require one say so themselves.
      security: [{}, { bearerAuth: [] }],
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
