import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { json, problems } from '../../../platform/http/schemas.js';
import { Email, Session, trimBody } from '../identity.schemas.js';
import { PASSWORD_MAX_LENGTH } from '../identity.service.js';

const Body = Type.Object(
  {
    email: Email,
    password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH }),
  },
  { additionalProperties: false },
);

export function login(app: FastifyInstance) {
  app.post<{ Body: Static<typeof Body> }>('/auth/login', {
    schema: {
      summary: 'Log in with email and password',
      description:
        'An unknown email and a wrong password both answer 401 `invalid_credentials`. Repeated failures for an ' +
        'account or from an IP answer 429 `login_throttled` with `Retry-After`. A disabled account answers 403 `account_disabled`.',
      tags: ['auth'],
      operationId: 'login',
      body: Body,
      response: { 200: json(Session, 'Logged in'), ...problems(400, 401, 403, 413, 415, 429) },
    },
    preValidation: trimBody('email'),
    handler: async (request) => app.ctx.identity.login({ ...request.body, ip: request.ip }),
  });
}
