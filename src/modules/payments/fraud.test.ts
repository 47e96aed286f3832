import { describe, expect, it } from 'vitest';
import { decide, scoreFraud, type FraudSignals } from './fraud.js';

const quiet: FraudSignals = {
  phoneAttempts10m: 0,
  phoneFailures1h: 0,
  emailAttempts10m: 0,
  emailFailures1h: 0,
  ipAttempts10m: 0,
  ipFailures1h: 0,
  distinctPhonesPerEmail24h: 1,
  distinctPhonesPerUser24h: 0,
  amount: 10_000,
  eventMedianTotal: 10_000,
  eventConfirmedCount: 50,
};

describe('scoreFraud', () => {
  it('scores an ordinary buyer 0 with no reasons', () => {
    expect(scoreFraud(quiet)).toEqual({ score: 0, reasons: [] });
  });

  it('counts phone velocity and failures with capped points and readable details', () => {
    const r = scoreFraud({ ...quiet, phoneAttempts10m: 4, phoneFailures1h: 2 });
    expect(r.reasons).toEqual([
      { code: 'phone_velocity', points: 20, detail: '4 payment attempts from this phone in 10 minutes' },
      { code: 'phone_failures', points: 20, detail: '2 failed payments from this phone in the last hour' },
    ]);
    expect(r.score).toBe(40);
    expect(scoreFraud({ ...quiet, phoneAttempts10m: 50 }).reasons[0]!.points).toBe(25);
  });

  it('flags many distinct phones from one email or user', () => {
    expect(scoreFraud({ ...quiet, distinctPhonesPerEmail24h: 2 }).score).toBe(0);
    expect(scoreFraud({ ...quiet, distinctPhonesPerEmail24h: 3 }).reasons).toMatchObject([{ code: 'many_phones', points: 20 }]);
    expect(scoreFraud({ ...quiet, distinctPhonesPerUser24h: 6 }).reasons).toMatchObject([{ code: 'many_phones', points: 30 }]);
  });

  it('flags an amount far above the event median only with enough samples', () => {
    expect(scoreFraud({ ...quiet, amount: 60_000 }).reasons).toMatchObject([{ code: 'amount_outlier', points: 30 }]);
    expect(scoreFraud({ ...quiet, amount: 200_000 }).reasons).toMatchObject([{ code: 'amount_outlier', points: 45 }]);
    expect(scoreFraud({ ...quiet, amount: 50_000 }).score).toBe(0); // exactly 5×: not "above"
    expect(scoreFraud({ ...quiet, amount: 200_000, eventConfirmedCount: 4 }).score).toBe(0);
    expect(scoreFraud({ ...quiet, amount: 200_000, eventMedianTotal: null, eventConfirmedCount: 0 }).score).toBe(0);
  });

  it('caps the sum at 100', () => {
    const r = scoreFraud({
      ...quiet,
      phoneAttempts10m: 9, phoneFailures1h: 9, emailAttempts10m: 9, emailFailures1h: 9,
      ipAttempts10m: 30, ipFailures1h: 30, distinctPhonesPerEmail24h: 9, amount: 1_000_000,
    });
    expect(r.score).toBe(100);
    expect(r.reasons.reduce((n, x) => n + x.points, 0)).toBeGreaterThan(100);
  });
});

describe('decide', () => {
  const t = { block: 80, review: 50 };
  it('blocks above the block score, reviews from the review score, allows below', () => {
    expect(decide(81, t)).toBe('block');
    expect(decide(80, t)).toBe('review');
    expect(decide(50, t)).toBe('review');
    expect(decide(49, t)).toBe('allow');
    expect(decide(0, t)).toBe('allow');
  });
});
