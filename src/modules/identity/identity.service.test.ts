import { describe, expect, it } from 'vitest';
import { hashPassword, normalizeEmail, verifyPassword } from './identity.service.js';
import { Tokens } from './tokens.js';

describe('normalizeEmail', () => {
  it.each([
    ['  Amani@Example.COM ', 'amani@example.com'],
    ['a@b.rw', 'a@b.rw'],
    ['\tUPPER@CASE.TEST\n', 'upper@case.test'],
  ])('%j → %s', (raw, normalized) => {
    expect(normalizeEmail(raw)).toBe(normalized);
  });
});

describe('password hashing', () => {
  it('hashes with argon2id, salted, and verifies only the right password', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).toMatch(/^\$argon2id\$v=19\$m=65536,(p=4,t=3|t=3,p=4)\$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword(a, 'correct horse battery')).toBe(true);
    expect(await verifyPassword(a, 'correct horse batterY')).toBe(false);
  });

  it('treats a malformed stored hash as a mismatch, not an error', async () => {
    expect(await verifyPassword('not-a-hash', 'anything at all')).toBe(false);
  });
});

describe('refresh tokens', () => {
  it('are random, URL-safe, and stored only as a SHA-256 hash', () => {
    const tokens = new Tokens(new TextEncoder().encode('x'.repeat(40)), 900);
    const one = tokens.newRefreshToken();
    const two = tokens.newRefreshToken();
    expect(one.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(one.token).not.toBe(two.token);
    expect(one.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(one.hash).toBe(Tokens.hash(one.token));
    expect(one.hash).not.toBe(two.hash);
  });
});
