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
  /** A valid access token of an account disabled (or deleted) since it was issued. */
  tokenOfDisabledAccount: () => appError('account_disabled', 401, 'This account is disabled; its tokens no longer work.'),
  userNotFound: (id: string) => appError('user_not_found', 404, `No user ${id}.`),
  cannotDisableSelf: () => appError('cannot_disable_self', 409, 'You cannot disable your own account.'),
  userDeleted: (id: string) => appError('user_deleted', 409, `User ${id} deleted their account; it cannot be enabled again.`),
  /** Deleting the account: the password re-confirmation did not match. */
  invalidPassword: () => appError('invalid_password', 403, 'The password is incorrect.'),
  soleOwner: (organizers: { id: string; name: string }[]) =>
    appError(
      'sole_owner',
      409,
      `You are the only owner of ${organizers.map((o) => o.name).join(', ')}; make someone else an owner (or ask an admin) before deleting your account.`,
      { organizers },
    ),
};
