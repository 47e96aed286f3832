import { errors } from '../../platform/errors.js';

/** Errors of the admin API. Codes are stable API. */
export const adminErrors = {
  invalidCursor: () => errors.invalidField('cursor', 'is not a cursor this API returned'),
};
