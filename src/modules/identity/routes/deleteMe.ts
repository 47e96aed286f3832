import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { problems } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { PASSWORD_MAX_LENGTH } from '../identity.service.js';

const Body = Type.Object(
  { password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH, description: 'Your current password, to confirm.' }) },
  { additionalProperties: false },
);

export function deleteMe(app: FastifyInstance) {
  app.delete('/me', {
    schema: {
      summary: 'Delete your account',
      description:
        'Re-confirm with your password (403 `invalid_password`). Your personal data is anonymized: name, email and ' +
        'password of the account, buyer details of your bookings, payer phone of your payments, holder names of your ' +
        'tickets. Bookings, tickets, payments and the ledger keep their rows and amounts. Every session ends. The only ' +
        'owner of an organizer gets 409 `sole_owner` (make someone else owner first).',
      tags: ['auth'],
      operationId: 'deleteMe',
      security: bearer,
      body: Body,
      response: { 204: { description: 'Account deleted', type: 'null' }, ...problems(400, 401, 403, 409, 413, 415) },
    },
    handler: async (request, reply) => {
      const { password } = request.body as Static<typeof Body>;
      await app.ctx.identity.deleteAccount(requireActor(request), password, { requestId: request.id });
      return reply.code(204).send();
    },
  });
}
