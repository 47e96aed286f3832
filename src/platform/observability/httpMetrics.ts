import crypto from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import { errors } from '../errors.js';
import { renderMetrics } from './metrics.js';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

function isLoopback(address: string | undefined): boolean {
  return address !== undefined && LOOPBACK.test(address);
}

function sameSecret(a: string, b: string): boolean {
  const ha = crypto.createHash('sha256').update(a).digest();
  const hb = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(ha, hb);
}

/**
 * Prometheus metrics over HTTP. Register BEFORE registerAuth: the scrape's
 * `Authorization: Bearer <METRICS_TOKEN>` is not a user's JWT, so it is taken off the request
 * before the auth hook sees it.
 *
 * - `http_request_duration_seconds{method,route,status_code}`: route is the route template
 *   (`/api/v1/bookings/:id`), or `unmatched` for 404s — never the raw URL.
 * - `GET /metrics`: with METRICS_TOKEN set, requires `Authorization: Bearer <METRICS_TOKEN>`
 *   (401 otherwise); without it, answers only requests from the loopback interface (403
 *   otherwise), for a Prometheus or agent on the same machine.
 */
export function registerMetrics(app: FastifyInstance, ctx: AppContext) {
  const { metrics, config } = ctx;
  const scrapeAuth = new WeakMap<FastifyRequest, string | undefined>();

  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.url !== '/metrics') return;
    scrapeAuth.set(request, request.headers.authorization);
    delete request.headers.authorization;
  });

  app.addHook('onResponse', async (request, reply) => {
    metrics.httpRequestDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  app.get('/metrics', {
    schema: { hide: true },
    config: { rateLimitTier: 'none' },
    handler: async (request, reply) => {
      const token = config.METRICS_TOKEN;
      if (token) {
        const m = /^Bearer\s+(\S+)$/i.exec(scrapeAuth.get(request) ?? '');
        if (!m?.[1] || !sameSecret(m[1], token)) {
          reply.header('www-authenticate', 'Bearer realm="metrics"');
          throw errors.unauthenticated('Send Authorization: Bearer <METRICS_TOKEN> to read metrics.');
        }
      } else if (!isLoopback(request.socket.remoteAddress) || !isLoopback(request.ip)) {
        throw errors.forbidden('Metrics are served to loopback only; set METRICS_TOKEN to scrape from elsewhere.');
      }
      const { contentType, body } = await renderMetrics(metrics);
      return reply.type(contentType).send(body);
    },
  });
}
