import Type from 'typebox';
import type { FastifyRequest } from 'fastify';
import { DateTime, Uuid } from '../../platform/http/schemas.js';
import { EMAIL_MAX_LENGTH, NAME_MAX_LENGTH, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './identity.service.js';

/** Request and response schemas shared by the identity routes. */

export const Email = Type.String({
  format: 'email',
  maxLength: EMAIL_MAX_LENGTH,
  description: 'Compared case-insensitively; surrounding spaces are ignored.',
  examples: ['amani@example.com'],
});

export const NewPassword = Type.String({
  minLength: PASSWORD_MIN_LENGTH,
  maxLength: PASSWORD_MAX_LENGTH,
  description: `At least ${PASSWORD_MIN_LENGTH} characters.`,
});

export const RefreshTokenBody = Type.Object(
  { refreshToken: Type.String({ minLength: 1, maxLength: 512, description: 'The opaque refresh token of the session.' }) },
  { additionalProperties: false },
);

export const User = Type.Object({
  id: Uuid(),
  email: Type.String({ format: 'email' }),
  name: Type.String({ maxLength: NAME_MAX_LENGTH }),
  isAdmin: Type.Boolean({ description: 'A platform operator.' }),
  createdAt: DateTime(),
});

export const Session = Type.Object({
  user: User,
  accessToken: Type.String({ description: 'JWT to send as `Authorization: Bearer …`.' }),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer({ description: 'Seconds until the access token expires.' }),
  refreshToken: Type.String({ description: 'Opaque; exchange it at /auth/refresh. Single use: each refresh returns a new one.' }),
  refreshTokenExpiresAt: DateTime(),
});

/**
 * preValidation hook: trim surrounding whitespace of these string fields of the body, so
 * " Amani@Example.com " passes the email format and a blank name fails minLength.
 */
export function trimBody(...fields: string[]) {
  return async (request: FastifyRequest) => {
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return;
    const record = body as Record<string, unknown>;
    for (const f of fields) {
      const v = record[f];
      if (typeof v === 'string') record[f] = v.trim();
    }
  };
}
