import { describe, expect, it } from 'vitest';
import { DisabledUsers } from './disabledUsers.js';

describe('DisabledUsers', () => {
  it('loads once per TTL for concurrent callers and sees changes after the TTL', async () => {
    let loads = 0;
    let rows = ['a'];
    const d = new DisabledUsers(async () => {
      loads++;
      await new Promise((r) => setTimeout(r, 5));
      return rows;
    }, 50);
    const answers = await Promise.all([d.has('a'), d.has('b'), d.has('a')]);
    expect(answers).toEqual([true, false, true]);
    expect(loads).toBe(1);
    rows = ['b'];
    expect(await d.has('b')).toBe(false); // still cached
    await new Promise((r) => setTimeout(r, 60));
    expect(await d.has('b')).toBe(true);
    expect(await d.has('a')).toBe(false);
    expect(loads).toBe(2);
  });

  it('applies local changes at once and keeps the last set when a refresh fails', async () => {
    let fail = false;
    const d = new DisabledUsers(async () => {
      if (fail) throw new Error('db down');
      return ['x'];
    }, 0);
    expect(await d.has('x')).toBe(true);
    fail = true;
    d.add('y');
    expect(await d.has('y')).toBe(true);
    expect(await d.has('x')).toBe(true);
  });
});
