import { errors, type FieldError } from '../../platform/errors.js';

/**
 * Checks of real-world codes that JSON Schema cannot express: ISO 4217 currencies (with their
 * minor unit), IANA time zones and ISO 3166-1 alpha-2 countries, all from the ICU data in Node.
 */

const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));
const REGIONS = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
// Codes ICU names that are not countries: unknown region, EU, eurozone, UN, outlying Oceania.
const NOT_COUNTRIES = new Set(['ZZ', 'EU', 'EZ', 'UN', 'QO']);

/** The ISO 4217 code in upper case, or undefined when it is not a currency. */
export function normalizeCurrency(code: string): string | undefined {
  const upper = code.toUpperCase();
  return /^[A-Z]{3}$/.test(upper) && CURRENCIES.has(upper) ? upper : undefined;
}

/**
 * Digits after the decimal point of a currency (its ISO 4217 minor unit): 2 for USD, 0 for RWF
 * and UGX. Prices are integers in this unit, so for RWF a price of 5000 means 5,000 RWF and for
 * USD it means 50.00 USD.
 */
export function minorUnit(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** The canonical IANA name of a time zone (case-insensitive input), or undefined. */
export function normalizeTimezone(tz: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(tz)) return undefined;
  try {
    return new Intl.DateTimeFormat('en', { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** The ISO 3166-1 alpha-2 code in upper case, or undefined when it names no country. */
export function normalizeCountry(code: string): string | undefined {
  const upper = code.toUpperCase();
  if (!/^[A-Z]{2}$/.test(upper) || NOT_COUNTRIES.has(upper)) return undefined;
  return REGIONS.of(upper) ? upper : undefined;
}

/** Collects field problems so one response lists them all. */
export class FieldChecks {
  readonly problems: FieldError[] = [];
  add(field: string, message: string) {
    this.problems.push({ field, message });
  }
  throwIfAny() {
    if (this.problems.length) throw errors.validation(this.problems);
  }
}
