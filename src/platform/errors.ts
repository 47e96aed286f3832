/**
 * The one error type of Tikiti. Services throw these (never HTTP classes); the global handler in
 * platform/http/errorHandler.ts turns them into RFC 9457 problem+json. Every domain adds its
 * factories in `<domain>.errors.ts` using `appError`, so codes stay stable and discoverable.
 */
export interface FieldError {
  field: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly fieldErrors?: FieldError[],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export function appError(
  code: string,
  status: number,
  message: string,
  details: Record<string, unknown> = {},
  opts: { fieldErrors?: FieldError[]; headers?: Record<string, string> } = {},
): AppError {
  return new AppError(code, status, message, details, opts.fieldErrors, opts.headers);
}

/** Cross-cutting errors. Domain-specific ones live beside their domain. */
export const errors = {
  validation: (fieldErrors: FieldError[], message = 'The request is invalid.') =>
    appError('validation_failed', 400, message, {}, { fieldErrors }),
  invalidField: (field: string, message: string) =>
    appError('validation_failed', 400, `${field}: ${message}`, {}, { fieldErrors: [{ field, message }] }),
  malformedJson: () => appError('malformed_json', 400, 'The request body is not valid JSON.'),
  unsupportedMediaType: (type: string | undefined) =>
    appError('unsupported_media_type', 415, `Content type ${type ?? '(none)'} is not supported; send application/json.`),
  payloadTooLarge: (limit: number) =>
    appError('payload_too_large', 413, `The request body exceeds the limit of ${limit} bytes.`, { limit }),
  routeNotFound: (method: string, url: string) =>
    appError('route_not_found', 404, `No route ${method} ${url}.`),
  methodNotAllowed: (method: string, allowed: string[]) =>
    appError('method_not_allowed', 405, `Method ${method} is not allowed here.`, { allowed }, {
      headers: { allow: allowed.join(', ') },
    }),
  notFound: (resource: string, id?: string) =>
    appError(`${resource}_not_found`, 404, id ? `No ${resource.replace(/_/g, ' ')} ${id}.` : `No such ${resource.replace(/_/g, ' ')}.`),
  unauthenticated: (message = 'Authentication is required.') => appError('unauthenticated', 401, message),
  invalidToken: () => appError('invalid_token', 401, 'The access token is invalid or expired.'),
  forbidden: (message = 'You are not allowed to do this.') => appError('forbidden', 403, message),
  conflict: (code: string, message: string, details: Record<string, unknown> = {}) => appError(code, 409, message, details),
  rateLimited: (retryAfterSeconds: number, message = 'Too many requests; slow down.') =>
    appError('rate_limited', 429, message, { retryAfter: retryAfterSeconds }, {
      headers: { 'retry-after': String(retryAfterSeconds) },
    }),
  busy: () => appError('busy', 503, 'The service is busy; retry shortly.', {}, { headers: { 'retry-after': '1' } }),
  timeout: () => appError('timeout', 503, 'The operation timed out; retry shortly.', {}, { headers: { 'retry-after': '1' } }),
  serviceUnavailable: (message: string) => appError('service_unavailable', 503, message),
};

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}
