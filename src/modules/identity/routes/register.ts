import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { json, problems } from '../../../platform/http/schemas.js';
import { Email, NewPassword, Session, trimBody } from '../identity.schemas.js';
import { NAME_MAX_LENGTH } from '../identity.service.js';

const Body = Type.Object(
  {
    email: Email,
    password: NewPassword,
    name: Type.String({ minLength: 1, maxLength: NAME_MAX_LENGTH, examples: ['Amani Uwase'] }),
  },
  { additionalProperties: false },
);

export function register(app: FastifyInstance) {
  app.post<{ Body: Static<typeof Body> }>('/auth/register', {
    schema: {
      summary: 'Create an account and start a session',
      description: 'Emails are unique case-insensitively (409 `email_taken`). Passwords are stored as argon2id hashes.',
      tags: ['auth'],
      operationId: 'register',
      body: Body,
      response: { 201: json(Session, 'Account created; the session is open'), ...problems(400, 409, 413, 415) },
    },
    preValidation: trimBody('email', 'name'),
    handler: async (request, reply) => {
      const session = await app.ctx.identity.register(request.body);
      return reply.code(201).send(session);
    },
  });
}
