/**
 * Fraud scoring before a payment is initiated. `scoreFraud` is a pure function of the signals
 * the repository gathers (PaymentsRepository.findFraudSignals); the score (0–100) and its reasons
 * are stored with the payment, so an admin reviewing it sees exactly why.
 *
 * Signals are counted over payments ALREADY recorded (this attempt excluded); blocked attempts
 * are recorded as failed payments (reason `blocked`), so a client hammering a block keeps
 * scoring high. Points per rule are capped, the sum is capped at 100.
 */
export interface FraudSignals {
  /** Payment attempts with this payer phone in the last 10 minutes. */
  phoneAttempts10m: number;
  /** Failed payments with this payer phone in the last hour. */
  phoneFailures1h: number;
  /** Attempts / failures for bookings of this buyer email. */
  emailAttempts10m: number;
  emailFailures1h: number;
  /** Attempts / failures from this client IP (null IP: 0). */
  ipAttempts10m: number;
  ipFailures1h: number;
  /** Distinct payer phones used in the last 24 h by this buyer email (this attempt's phone included). */
  distinctPhonesPerEmail24h: number;
  /** Distinct payer phones used in the last 24 h by this signed-in user (0 for guests). */
  distinctPhonesPerUser24h: number;
  /** This booking's total, and the median total of the event's confirmed bookings with how many there are. */
  amount: number;
  eventMedianTotal: number | null;
  eventConfirmedCount: number;
}

export interface FraudReason {
  code: string;
  points: number;
  detail: string;
}

export interface FraudScore {
  score: number;
  reasons: FraudReason[];
}

export type FraudDecision = 'allow' | 'review' | 'block';

/** Confirmed bookings needed before "far above the typical order" means anything. */
export const MIN_SAMPLES_FOR_AMOUNT = 5;

export function scoreFraud(s: FraudSignals): FraudScore {
  const reasons: FraudReason[] = [];
  const add = (code: string, points: number, detail: string) => {
    if (points > 0) reasons.push({ code, points, detail });
  };

  if (s.phoneAttempts10m >= 3) add('phone_velocity', Math.min(25, 5 * s.phoneAttempts10m), `${s.phoneAttempts10m} payment attempts from this phone in 10 minutes`);
  if (s.phoneFailures1h >= 2) add('phone_failures', Math.min(30, 10 * s.phoneFailures1h), `${s.phoneFailures1h} failed payments from this phone in the last hour`);
  if (s.emailAttempts10m >= 5) add('email_velocity', Math.min(20, 3 * s.emailAttempts10m), `${s.emailAttempts10m} payment attempts for this buyer email in 10 minutes`);
  if (s.emailFailures1h >= 3) add('email_failures', Math.min(25, 6 * s.emailFailures1h), `${s.emailFailures1h} failed payments for this buyer email in the last hour`);
  if (s.ipAttempts10m >= 10) add('ip_velocity', Math.min(20, 2 * s.ipAttempts10m), `${s.ipAttempts10m} payment attempts from this IP address in 10 minutes`);
  if (s.ipFailures1h >= 5) add('ip_failures', Math.min(25, 4 * s.ipFailures1h), `${s.ipFailures1h} failed payments from this IP address in the last hour`);

  const phones = Math.max(s.distinctPhonesPerEmail24h, s.distinctPhonesPerUser24h);
  if (phones >= 3) add('many_phones', Math.min(30, 10 * (phones - 1)), `${phones} different payer phones used by this buyer in 24 hours`);

  if (s.eventMedianTotal !== null && s.eventMedianTotal > 0 && s.eventConfirmedCount >= MIN_SAMPLES_FOR_AMOUNT) {
    const ratio = s.amount / s.eventMedianTotal;
    if (ratio > 10) add('amount_outlier', 45, `order total is ${ratio.toFixed(1)}× the event's median order (${s.eventMedianTotal})`);
    else if (ratio > 5) add('amount_outlier', 30, `order total is ${ratio.toFixed(1)}× the event's median order (${s.eventMedianTotal})`);
  }

  const score = Math.min(100, reasons.reduce((n, r) => n + r.points, 0));
  return { score, reasons };
}

/** Above `block` → blocked; at or above `review` → allowed and flagged for review. */
export function decide(score: number, thresholds: { block: number; review: number }): FraudDecision {
  if (score > thresholds.block) return 'block';
  if (score >= thresholds.review) return 'review';
  return 'allow';
}
