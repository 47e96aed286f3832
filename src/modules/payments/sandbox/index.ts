import type { AddressInfo } from 'node:net';
import type { FastifyError, FastifyInstance } from 'fastify';
import { jwtSecret } from '../../../platform/secrets.js';
import { MomoProvider } from '../providers/momo.js';
import { MomoSandbox, SandboxError } from './sandbox.service.js';
import { sandboxRoutes } from './routes/index.js';
import { localSandboxUrl, sandboxEnabled } from './sandbox.config.js';

export { MomoSandbox, SandboxError } from './sandbox.service.js';
export { localSandboxUrl, sandboxEnabled } from './sandbox.config.js';
export { outcomeForPayer, TEST_NUMBER_OUTCOMES, type SandboxOutcome } from './sandbox.outcomes.js';

/**
 * Mounts the MTN MoMo simulator at SANDBOX_PREFIX (default /sandbox/momo) when enabled, and,
 * once the server listens, points every momo provider that uses the local sandbox at the real
 * port (PORT=0 in tests picks a free one). Hidden from the OpenAPI document: it is MoMo's API,
 * not Tikiti's, and answers MoMo's error shapes.
 */
export async function registerMomoSandbox(app: FastifyInstance): Promise<MomoSandbox | undefined> {
  const { config, db, log } = app.ctx;
  if (!sandboxEnabled(config)) return undefined;
  const sandbox = new MomoSandbox(db, {
    confirmDelayMs: config.SANDBOX_CONFIRM_DELAY_MS,
    slowConfirmDelayMs: config.SANDBOX_SLOW_CONFIRM_DELAY_MS,
    secret: jwtSecret(config),
    log: log.child({ module: 'momo-sandbox' }),
  });

  await app.register(
    async (scope) => {
      // MoMo clients send token requests with no body; an empty JSON body is not an error here.
      scope.removeContentTypeParser('application/json');
      scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
        const text = String(body);
        if (text.trim() === '') return done(null, undefined);
        try {
          done(null, JSON.parse(text));
        } catch {
          done(new SandboxError(400, { code: 'INVALID_REQUEST', message: 'The body is not valid JSON.' }), undefined);
        }
      });
      scope.setErrorHandler((err: FastifyError, _request, reply) => {
        if (err instanceof SandboxError) return reply.code(err.status).send(err.body);
        if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
          return reply.code(err.statusCode).send({ code: 'INVALID_REQUEST', message: err.message });
        }
        throw err;
      });
      sandboxRoutes(scope, sandbox);
    },
    { prefix: config.SANDBOX_PREFIX },
  );

  app.addHook('onListen', async () => {
    const address = app.server.address() as AddressInfo | string | null;
    if (!address || typeof address === 'string') return;
    const host = address.address === '::1' ? '[::1]' : '127.0.0.1';
    const url = localSandboxUrl(config, address.port, host);
    for (const provider of app.ctx.paymentProviders.all()) {
      if (provider instanceof MomoProvider && provider.usesLocalSandbox) provider.setBaseUrl(url);
    }
  });
  app.addHook('onClose', async () => {
    await sandbox.close();
  });
  return sandbox;
}
