import { errors } from '../../../platform/errors.js';

/**
 * Minor-unit arithmetic for providers. Tikiti stores money as an integer in the currency's minor
 * unit (RWF and UGX have none, EUR has 2, KWD 3), per ISO 4217 as Intl knows it. MoMo wants a
 * decimal string in major units; Stripe wants minor units (and agrees that RWF/UGX are
 * zero-decimal).
 */
const cache = new Map<string, number>();

/** Number of minor-unit digits of an ISO 4217 currency (RWF 0, EUR 2, KWD 3). */
export function minorUnits(currency: string): number {
  const code = currency.toUpperCase();
  const hit = cache.get(code);
  if (hit !== undefined) return hit;
  if (!/^[A-Z]{3}$/.test(code)) throw errors.invalidField('currency', 'must be an ISO 4217 code');
  let digits: number;
  try {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency: code }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    throw errors.invalidField('currency', 'must be an ISO 4217 code');
  }
  cache.set(code, digits);
  return digits;
}

/** 1050 EUR → "10.50"; 5000 RWF → "5000"; 5 EUR → "0.05". */
export function minorToMajorString(amount: number, currency: string): string {
  if (!Number.isSafeInteger(amount) || amount < 0) throw errors.invalidField('amount', 'must be a non-negative integer in minor units');
  const digits = minorUnits(currency);
  if (digits === 0) return String(amount);
  const s = String(amount).padStart(digits + 1, '0');
  return `${s.slice(0, -digits)}.${s.slice(-digits)}`;
}

/**
 * "10.50" EUR → 1050; "5000" RWF → 5000; "10.5" EUR → 1050. Returns null for text that is not a
 * plain non-negative decimal or has more decimals than the currency allows.
 */
export function majorStringToMinor(value: string, currency: string): number | null {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(value.trim());
  if (!m) return null;
  const digits = minorUnits(currency);
  const whole = m[1]!;
  const frac = (m[2] ?? '').replace(/0+$/, '');
  if (frac.length > digits) return null;
  const n = Number(whole + frac.padEnd(digits, '0'));
  return Number.isSafeInteger(n) ? n : null;
}

/** For messages: 5000 RWF → "RWF 5,000"; 1050 EUR → "EUR 10.50". */
export function formatMoney(amount: number, currency: string): string {
  const digits = minorUnits(currency);
  const major = amount / 10 ** digits;
  return `${currency.toUpperCase()} ${major.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
}
