import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import FindMyWay, { type HTTPVersion } from 'find-my-way';
import { AppError, errors, type FieldError } from '../errors.js';
import { PgCode } from '../db/database.js';

const STATUS_TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 413: 'Content Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Content',
  429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable',
};

export function sendProblem(request: FastifyRequest, reply: FastifyReply, err: AppError) {
  for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
  const body: Record<string, unknown> = {
    type: `urn:tikiti:problem:${err.code}`,
    title: STATUS_TITLES[err.status] ?? 'Error',
    status: err.status,
    detail: err.message,
    instance: request.url.split('?')[0],
    code: err.code,
    requestId: String(request.id),
    ...err.details,
  };
  if (err.fieldErrors) body.errors = err.fieldErrors;
  return reply.code(err.status).type('application/problem+json').send(body);
}

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

function fieldErrors(validation: AjvError[], context: string | undefined): FieldError[] {
  const prefix = context && context !== 'body' ? `${context}.` : '';
  const seen = new Set<string>();
  const out: FieldError[] = [];
  for (const v of validation) {
    let field = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
    let message = v.message ?? 'is invalid';
    if (v.keyword === 'required') {
      field = [field, String(v.params.missingProperty)].filter(Boolean).join('.');
      message = 'is required';
    } else if (v.keyword === 'additionalProperties') {
      field = [field, String(v.params.additionalProperty)].filter(Boolean).join('.');
      message = 'is not an allowed field';
    }
    const full = `${prefix}${field}` || context || 'body';
    const key = `${full}:${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ field: full, message });
  }
  return out;
}

/** Translate anything thrown into problem+json: AppError, validation, parser errors, the rest. */
export function toAppError(err: FastifyError & { validation?: AjvError[]; validationContext?: string }, bodyLimit: number): AppError | undefined {
  if (err instanceof AppError) return err;
  if (err.validation) return errors.validation(fieldErrors(err.validation, err.validationContext));
  // Text PostgreSQL cannot store (a \u0000 in a JSON string): the client's input, not our fault.
  const sqlState = (err as { code?: unknown }).code;
  if (sqlState === PgCode.characterNotInRepertoire || sqlState === PgCode.untranslatableCharacter) {
    return new AppError('invalid_characters', 400, 'Text fields must not contain NUL (\\u0000) or other characters that cannot be stored.');
  }
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return errors.malformedJson();
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errors.payloadTooLarge(bodyLimit);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return errors.unsupportedMediaType(undefined);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('invalid_content_length', 400, 'Content-Length does not match the body.');
  }
  if (err instanceof SyntaxError) return errors.malformedJson();
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    return new AppError((err.code ?? 'bad_request').toLowerCase(), err.statusCode, err.message);
  }
  return undefined;
}

/**
 * The one global error handler, plus 404 / 405 for unknown routes. Never sends a stack trace;
 * unexpected errors are logged with the request id and answered as a bare 500.
 */
export function registerErrorHandling(app: FastifyInstance, bodyLimit: number) {
  // Our own index of routes so an unknown method on a known path answers 405 with Allow.
  const router = FindMyWay<HTTPVersion.V1>();
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const m of methods) {
      try {
        router.on(m as 'GET', route.url, () => {});
      } catch {
        // duplicate registrations (HEAD for GET) are fine
      }
    }
  });

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const appErr = toAppError(err, bodyLimit);
    if (appErr) {
      if (appErr.status >= 500) request.log.warn({ code: appErr.code }, appErr.message);
      return sendProblem(request, reply, appErr);
    }
    request.log.error({ err }, 'unhandled error');
    return sendProblem(request, reply, new AppError('internal_error', 500, 'Something went wrong on our side. Quote the request id when reporting it.'));
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const allowed = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].filter((m) => router.find(m as 'GET', path) !== null);
    const err = allowed.length > 0 ? errors.methodNotAllowed(request.method, allowed) : errors.routeNotFound(request.method, path);
    return sendProblem(request, reply, err);
  });
}
