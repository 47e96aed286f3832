import type { FastifyInstance } from 'fastify';
import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';

/**
 * Request validation. Bodies are checked strictly: no type coercion (a price of "5000" is a
 * 400), unknown fields rejected (schemas say additionalProperties: false; nothing is silently
 * removed). Query strings, params and headers arrive as text, so those coerce.
 */
export function registerValidation(app: FastifyInstance) {
  const base: Options = { allErrors: true, removeAdditional: false, useDefaults: true, strict: false };
  const strict = new Ajv({ ...base, coerceTypes: false });
  const coercing = new Ajv({ ...base, coerceTypes: 'array' });
  for (const ajv of [strict, coercing]) {
    (addFormats as unknown as (a: Ajv) => void)(ajv);
  }
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? strict : coercing;
    return ajv.compile(schema);
  });
  // Shared schemas registered with app.addSchema must be visible to both compilers.
  app.addHook('onRoute', () => {
    const shared = app.getSchemas() as Record<string, { $id?: string }>;
    for (const s of Object.values(shared)) {
      for (const ajv of [strict, coercing]) {
        if (s.$id && !ajv.getSchema(s.$id)) ajv.addSchema(s);
      }
    }
  });
}
