/**
 * MTN MoMo's sandbox test numbers, as the built-in simulator plays them. The payer's number
 * decides the outcome of a request-to-pay; the last three digits count:
 *
 * | ends in | outcome                                             |
 * |---------|-----------------------------------------------------|
 * | 450     | FAILED, reason INTERNAL_PROCESSING_ERROR            |
 * | 451     | FAILED, reason APPROVAL_REJECTED (payer declined)    |
 * | 452     | FAILED, reason EXPIRED (payer never answered)        |
 * | 453     | stays PENDING forever (no callback)                  |
 * | 454     | SUCCESSFUL, but only after the slow delay            |
 * | 455     | FAILED, reason PAYER_NOT_FOUND                       |
 * | other   | SUCCESSFUL after the normal delay                    |
 */
export interface SandboxOutcome {
  /** Final status once the delay has passed; null = PENDING forever. */
  status: 'SUCCESSFUL' | 'FAILED' | null;
  reason: string | null;
  /** Which configured delay applies. */
  delay: 'normal' | 'slow' | 'never';
}

export const TEST_NUMBER_OUTCOMES: Readonly<Record<string, SandboxOutcome>> = {
  '450': { status: 'FAILED', reason: 'INTERNAL_PROCESSING_ERROR', delay: 'normal' },
  '451': { status: 'FAILED', reason: 'APPROVAL_REJECTED', delay: 'normal' },
  '452': { status: 'FAILED', reason: 'EXPIRED', delay: 'normal' },
  '453': { status: null, reason: null, delay: 'never' },
  '454': { status: 'SUCCESSFUL', reason: null, delay: 'slow' },
  '455': { status: 'FAILED', reason: 'PAYER_NOT_FOUND', delay: 'normal' },
};

const SUCCESS: SandboxOutcome = { status: 'SUCCESSFUL', reason: null, delay: 'normal' };

export function outcomeForPayer(partyId: string): SandboxOutcome {
  return TEST_NUMBER_OUTCOMES[partyId.slice(-3)] ?? SUCCESS;
}
