import { describe, expect, it } from 'vitest';
import { minorUnit, normalizeCountry, normalizeCurrency, normalizeTimezone } from './events.validation.js';

describe('code validation', () => {
  it.each([
    ['RWF', 'RWF'],
    ['rwf', 'RWF'],
    ['UGX', 'UGX'],
    ['USD', 'USD'],
    ['XYZ', undefined],
    ['US', undefined],
    ['US$', undefined],
  ])('currency %s → %s', (input, expected) => {
    expect(normalizeCurrency(input)).toBe(expected);
  });

  it('knows the real minor units', () => {
    expect(minorUnit('RWF')).toBe(0);
    expect(minorUnit('UGX')).toBe(0);
    expect(minorUnit('USD')).toBe(2);
    expect(minorUnit('KWD')).toBe(3);
  });

  it.each([
    ['Africa/Kigali', 'Africa/Kigali'],
    ['africa/kigali', 'Africa/Kigali'],
    ['UTC', 'UTC'],
    ['Mars/Olympus_Mons', undefined],
    ['+02:00', undefined],
    ['', undefined],
  ])('timezone %s → %s', (input, expected) => {
    expect(normalizeTimezone(input)).toBe(expected);
  });

  it.each([
    ['RW', 'RW'],
    ['ug', 'UG'],
    ['ZZ', undefined],
    ['EU', undefined],
    ['AA', undefined],
    ['RWA', undefined],
  ])('country %s → %s', (input, expected) => {
    expect(normalizeCountry(input)).toBe(expected);
  });
});
