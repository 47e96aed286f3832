import crypto from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import helmet from '@fastify/helmet';
import cors from '@fastify/cors';
import type { Logger } from 'pino';
import type { AppContext } from './context.js';
import { registerErrorHandling, sendProblem } from './platform/http/errorHandler.js';
import { appError } from './platform/errors.js';
import { registerValidation } from './platform/http/validation.js';
import { registerAuth } from './platform/http/auth.js';
import { registerOpenApi } from './platform/http/openapi.js';
import { registerMetrics } from './platform/observability/httpMetrics.js';
import { registerRateLimits } from './platform/http/rateLimit.js';
import { ProblemSchema } from './platform/http/schemas.js';
import { healthRoutes } from './modules/health/routes/index.js';
import { identityRoutes } from './modules/identity/routes/index.js';
import { organizersRoutes } from './modules/organizers/routes/index.js';
import { eventsRoutes } from './modules/events/routes/index.js';
import { bookingsRoutes } from './modules/bookings/routes/index.js';
import { inventoryRoutes } from './modules/inventory/routes/index.js';
import { registerMomoSandbox } from './modules/payments/sandbox/index.js';
import { ledgerRoutes } from './modules/ledger/routes/index.js';
import { refundsRoutes } from './modules/refunds/routes/index.js';
import { ticketsRoutes } from './modules/tickets/routes/index.js';
import { registerPayments } from './modules/payments/routes/index.js';
import { auditRoutes } from './modules/audit/routes/index.js';
import { adminRoutes } from './modules/admin/routes/index.js';

declare module 'fastify' {
  interface FastifyInstance {
    ctx: AppContext;
  }
}

/** TRUST_PROXY: 'true' / 'false', a hop count, or a list of proxy addresses or CIDRs. */
function trustProxy(value: string): FastifyServerOptions['trustProxy'] {
  if (value === 'true' || value === 'false') return value === 'true';
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    return (_address: string, hop: number) => hop < hops;
  }
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface BuildAppOptions {
  ctx: AppContext;
  /** The pino logger to use; tests pass a silent one. */
  logger: Logger;
}

/** Build the Fastify app from the modules. Does not listen. */
export async function buildApp({ ctx, logger }: BuildAppOptions): Promise<FastifyInstance> {
  const { config } = ctx;
  const options: FastifyServerOptions = {
    loggerInstance: logger,
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxy: trustProxy(config.TRUST_PROXY),
    requestIdHeader: false,
    // Honour a sane incoming X-Request-Id, else make one.
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
    },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    return503OnClosing: true,
    // Router-level refusals (a path parameter over maxParamLength, a malformed URL) are problem+json too.
    frameworkErrors: (err, request, reply) =>
      sendProblem(
        request,
        reply,
        err.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? appError('path_parameter_too_long', 400, 'A path parameter is longer than any valid value.')
          : err.code === 'FST_ERR_BAD_URL'
            ? appError('bad_url', 400, 'The URL is malformed.')
            : appError('bad_request', 400, err.message),
      ),
    forceCloseConnections: 'idle',
  };
  const app = Fastify(options) as unknown as FastifyInstance;
  app.decorate('ctx', ctx);

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  registerErrorHandling(app, config.BODY_LIMIT_BYTES);
  registerValidation(app);
  app.addSchema(ProblemSchema);

  await app.register(helmet, {
    // The docs page needs inline scripts and styles; everything else stays strict.
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", "'unsafe-inline'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'validator.swagger.io'],
      },
    },
  });
  await app.register(cors, {
    origin: config.corsOrigins.length === 0 ? false : config.corsOrigins.includes('*') ? true : config.corsOrigins,
    credentials: true,
    exposedHeaders: ['x-request-id', 'idempotent-replayed', 'retry-after'],
  });
  // Before auth: the scrape's bearer token is METRICS_TOKEN, not a user's JWT.
  registerMetrics(app, ctx);
  // Access tokens of disabled or deleted accounts stop working (at once here, within 1 s elsewhere).
  registerAuth(app, ctx.tokens, (userId) => ctx.identity.isDisabled(userId));
  // After auth: the per-buyer tiers key on request.actor.
  await registerRateLimits(app, ctx);
  await registerOpenApi(app, config);

  await app.register(healthRoutes);
  await app.register(identityRoutes, { prefix: '/api/v1' });
  await app.register(organizersRoutes, { prefix: '/api/v1' });
  await app.register(eventsRoutes, { prefix: '/api/v1' });
  await app.register(inventoryRoutes, { prefix: '/api/v1' });
  await app.register(bookingsRoutes, { prefix: '/api/v1' });
  await app.register(ledgerRoutes, { prefix: '/api/v1' });
  await app.register(refundsRoutes, { prefix: '/api/v1' });
  await app.register(ticketsRoutes, { prefix: '/api/v1' });
  await app.register(auditRoutes, { prefix: '/api/v1' });
  await app.register(adminRoutes, { prefix: '/api/v1' });
  // Payments, provider webhooks (raw bodies) and the fraud review.
  await registerPayments(app);
  // The built-in MTN MoMo simulator (SANDBOX_ENABLED; default on outside production).
  await registerMomoSandbox(app);

  return app;
}
