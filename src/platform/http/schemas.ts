import Type, { type TSchema } from 'typebox';

/** Shared schema pieces for route files. */
export const Uuid = (description?: string) => Type.String({ format: 'uuid', ...(description ? { description } : {}) });
export const IdParams = Type.Object({ id: Uuid() }, { additionalProperties: false });
export const DateTime = (description?: string) =>
  Type.String({ format: 'date-time', ...(description ? { description } : {}) });
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** RFC 9457 problem details; registered once as the shared schema `Problem`. */
export const ProblemSchema = {
  $id: 'Problem',
  type: 'object',
  description: 'RFC 9457 problem details. `code` is stable and machine-readable.',
  required: ['type', 'title', 'status', 'code'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    code: { type: 'string' },
    requestId: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: { field: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
  additionalProperties: true,
} as const;

const descriptions: Record<number, string> = {
  400: 'Bad input (validation_failed, malformed_json, …)',
  401: 'Not authenticated (unauthenticated, invalid_token)',
  403: 'Authenticated but not allowed (forbidden)',
  404: 'Not found',
  409: 'Conflict with the current state',
  413: 'Body too large (payload_too_large)',
  415: 'Unsupported content type',
  422: 'Idempotency key reused with another body',
  429: 'Rate limited (see Retry-After)',
  503: 'Not ready or temporarily unavailable',
};

/** Error responses for a route's schema, documented as problem+json. */
export function problems(...statuses: number[]): Record<number, unknown> {
  const out: Record<number, unknown> = {};
  for (const status of statuses) {
    out[status] = {
      description: descriptions[status] ?? 'Error',
      content: { 'application/problem+json': { schema: { $ref: 'Problem#' } } },
    };
  }
  return out;
}

/** The JSON success response of a route, documented under application/json. */
export function json<T extends TSchema>(schema: T, description = 'OK') {
  return { description, content: { 'application/json': { schema } } } as unknown as T;
}

export const Pagination = Type.Object({
  nextCursor: Nullable(Type.String({ description: 'Pass as `cursor` to get the next page; null on the last page.' })),
});
