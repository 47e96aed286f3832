import { describe, expect, it } from 'vitest';
import { formatMoney, majorStringToMinor, minorToMajorString, minorUnits } from './money.js';

describe('minor units', () => {
  it.each([
    ['RWF', 0],
    ['UGX', 0],
    ['JPY', 0],
    ['EUR', 2],
    ['usd', 2],
    ['KWD', 3],
  ])('%s has %i minor digits', (currency, digits) => {
    expect(minorUnits(currency)).toBe(digits);
  });

  it('rejects codes that are not ISO 4217 with a field error', () => {
    expect(() => minorUnits('EURO')).toThrow(expect.objectContaining({ code: 'validation_failed' }));
  });

  it.each([
    [1050, 'EUR', '10.50'],
    [5, 'EUR', '0.05'],
    [100, 'EUR', '1.00'],
    [0, 'EUR', '0.00'],
    [5000, 'RWF', '5000'],
    [1, 'UGX', '1'],
    [1234, 'KWD', '1.234'],
  ])('%i %s → "%s" on the MoMo wire and back', (minor, currency, major) => {
    expect(minorToMajorString(minor, currency)).toBe(major);
    expect(majorStringToMinor(major, currency)).toBe(minor);
  });

  it('refuses fractions a currency does not have, and junk', () => {
    expect(majorStringToMinor('10.5', 'RWF')).toBeNull();
    expect(majorStringToMinor('10.505', 'EUR')).toBeNull();
    expect(majorStringToMinor('-1', 'EUR')).toBeNull();
    expect(majorStringToMinor('1e3', 'EUR')).toBeNull();
    expect(majorStringToMinor('10.50', 'EUR')).toBe(1050);
    expect(() => minorToMajorString(10.5, 'EUR')).toThrow();
    expect(() => minorToMajorString(-1, 'EUR')).toThrow();
  });

  it('formats for people', () => {
    expect(formatMoney(5000, 'RWF')).toBe('RWF 5,000');
    expect(formatMoney(1050, 'EUR')).toBe('EUR 10.50');
  });
});
