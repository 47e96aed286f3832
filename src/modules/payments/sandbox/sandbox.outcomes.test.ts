import { describe, expect, it } from 'vitest';
import { outcomeForPayer } from './sandbox.outcomes.js';

describe('sandbox test numbers', () => {
  it.each([
    ['46733123450', 'FAILED', 'INTERNAL_PROCESSING_ERROR', 'normal'],
    ['250788000451', 'FAILED', 'APPROVAL_REJECTED', 'normal'],
    ['250788000452', 'FAILED', 'EXPIRED', 'normal'],
    ['250788000453', null, null, 'never'],
    ['250788000454', 'SUCCESSFUL', null, 'slow'],
    ['250788000455', 'FAILED', 'PAYER_NOT_FOUND', 'normal'],
    ['250788123456', 'SUCCESSFUL', null, 'normal'],
    ['250788004500', 'SUCCESSFUL', null, 'normal'],
  ])('%s → %s %s (%s)', (number, status, reason, delay) => {
    expect(outcomeForPayer(number)).toEqual({ status, reason, delay });
  });
});
