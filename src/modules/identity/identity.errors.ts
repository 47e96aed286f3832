import { appError } from '../../platform/errors.js';

/** Errors of the identity domain (accounts, sessions). Codes are stable API. */
export const identityErrors = {
  emailTaken: () => appError('email_taken', 409, 'An account with this email already exists.'),
  /** Same answer for an unknown email and a wrong password: never reveal which accounts exist. */
  invalidCredentials: () => appError('invalid_credentials', 401, 'The email or password is incorrect.'),
  loginThrottled: (retryAfterSeconds: number) =>
    appError(
      'login_throttled',
      429,
      `Too many failed logins; try again in ${retryAfterSeconds} seconds.`,
      { retryAfter: retryAfterSeconds },
      { headers: { 'retry-after': String(retryAfterSeconds) } },
    ),
  accountDisabled: () => appError('account_disabled', 403, 'This account is disabled.'),
  invalidRefreshToken: () => appError('invalid_refresh_token', 401, 'The refresh token is invalid, expired or revoked.'),
  refreshTokenReused: () =>
    appError(
      'refresh_token_reused',
      401,
      'This refresh token was already used. Every session of its family has been revoked; log in again.',
    ),
};
