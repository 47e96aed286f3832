import { describe, expect, it } from 'vitest';
import { commissionOf, refundCommissionShare } from './ledger.accounts.js';

describe('commission arithmetic', () => {
  it('floors the commission in integer arithmetic', () => {
    expect(commissionOf(10_000, 500)).toBe(500);
    expect(commissionOf(999, 500)).toBe(49);
    expect(commissionOf(1, 9999)).toBe(0);
    expect(commissionOf(0, 500)).toBe(0);
    // Beyond 2^53 / 10 000 a float product would round; BigInt does not.
    expect(commissionOf(9_007_199_254_740, 10_000)).toBe(9_007_199_254_740);
  });

  it('reverses commission proportionally and never more than was charged, whatever the split', () => {
    for (const [paid, bps] of [[10_000, 500], [999, 750], [7, 3333], [15_000, 1234]] as const) {
      const charged = commissionOf(paid, bps);
      for (const parts of [[paid], [1, paid - 1], [3, 3, paid - 6], Array.from({ length: paid >= 50 ? 50 : paid }, () => 1)]) {
        if (parts.some((p) => p <= 0)) continue;
        let refunded = 0;
        let reversed = 0;
        for (const amount of parts) {
          const share = refundCommissionShare({ paid, charged, refundedBefore: refunded, reversedBefore: reversed, amount });
          expect(share).toBeGreaterThanOrEqual(0);
          expect(share).toBeLessThanOrEqual(amount);
          refunded += amount;
          reversed += share;
          expect(reversed).toBeLessThanOrEqual(charged);
          expect(reversed).toBe(Math.floor((charged * refunded) / paid));
        }
        if (refunded === paid) expect(reversed).toBe(charged);
      }
    }
  });
});
