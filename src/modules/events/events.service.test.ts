import { describe, expect, it } from 'vitest';
import { decodeEventCursor, encodeEventCursor, salesStatus } from './events.service.js';
import type { TicketTypeRow } from './events.repository.js';

describe('event cursor', () => {
  it('round-trips (starts_at with microseconds, id)', () => {
    const c = encodeEventCursor('2030-01-01T10:00:00.123456Z', '0190a3c4-7d2e-7f00-8000-000000000001');
    expect(c).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeEventCursor(c)).toEqual({ startsAt: '2030-01-01T10:00:00.123456Z', id: '0190a3c4-7d2e-7f00-8000-000000000001' });
  });

  it.each(['', 'bm9wZQ', Buffer.from('["x","y"]').toString('base64url'), Buffer.from('{"a":1}').toString('base64url')])(
    'rejects %j with a 400 on cursor',
    (bad) => {
      expect(() => decodeEventCursor(bad)).toThrowError(expect.objectContaining({ status: 400, code: 'validation_failed' }));
    },
  );
});

describe('salesStatus', () => {
  const now = new Date('2030-01-10T00:00:00Z');
  const tt = (o: Partial<TicketTypeRow>) => ({ capacity: 10, held: 0, sold: 0, sales_start: null, sales_end: null, ...o }) as TicketTypeRow;
  it('follows the window, then availability', () => {
    expect(salesStatus(tt({}), now)).toBe('on_sale');
    expect(salesStatus(tt({ sales_start: new Date('2030-01-11T00:00:00Z') }), now)).toBe('not_started');
    expect(salesStatus(tt({ sales_end: new Date('2030-01-10T00:00:00Z') }), now)).toBe('ended');
    expect(salesStatus(tt({ held: 4, sold: 6 }), now)).toBe('sold_out');
  });
});
