import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { json, Nullable, problems } from '../../../platform/http/schemas.js';
import { bearer, requireActor } from '../../../platform/http/auth.js';
import { Organizer } from '../organizers.schemas.js';

const Query = Type.Object(
  {
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
  },
  { additionalProperties: false },
);
const Page = Type.Object({ items: Type.Array(Organizer), nextCursor: Nullable(Type.String()) });

export function listOrganizers(app: FastifyInstance) {
  app.get('/organizers', {
    schema: {
      summary: 'List organizers (admin: all; others: the ones they are a member of)',
      tags: ['organizers'],
      operationId: 'listOrganizers',
      security: bearer,
      querystring: Query,
      response: { 200: json(Page), ...problems(400, 401) },
    },
    handler: async (request) => {
      const query = request.query as Static<typeof Query>;
      return app.ctx.organizers.list(requireActor(request), query);
    },
  });
}
