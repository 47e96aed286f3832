import type { Config } from '../../../config.js';

/** The simulator is on unless SANDBOX_ENABLED says otherwise; off by default in production. */
export function sandboxEnabled(config: Config): boolean {
  return config.SANDBOX_ENABLED ?? config.NODE_ENV !== 'production';
}

/** Where this process serves the sandbox, as seen from itself. */
export function localSandboxUrl(config: Config, port: number = config.PORT, host = '127.0.0.1'): string {
  return `http://${host}:${port}${config.SANDBOX_PREFIX}`;
}
