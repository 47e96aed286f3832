import pino, { type Logger, type LoggerOptions } from 'pino';
import type { Config } from '../config.js';
import { traceMixin } from './observability/logContext.js';

/** pino JSON logs; pretty-printed when run in a terminal (or LOG_PRETTY=true). */
export function loggerOptions(config: Config): LoggerOptions {
  const pretty = config.LOG_PRETTY ?? (process.stdout.isTTY && config.NODE_ENV !== 'production');
  return {
    level: config.LOG_LEVEL,
    base: { service: 'tikiti', pid: process.pid },
    // traceId/spanId of the active OpenTelemetry span (when tracing is on).
    mixin: traceMixin,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.refreshToken', '*.accessToken'],
      censor: '[redacted]',
    },
    ...(pretty
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'service,pid,hostname' } } }
      : {}),
  };
}

export function createLogger(config: Config): Logger {
  return pino(loggerOptions(config));
}
