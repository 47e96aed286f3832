import { appError } from '../../platform/errors.js';

/** Errors of the audit log. Codes are stable API. */
export const auditErrors = {
  invalidCursor: () =>
    appError('validation_failed', 400, 'cursor: is not a cursor this API returned', {}, {
      fieldErrors: [{ field: 'cursor', message: 'is not a cursor this API returned' }],
    }),
};
