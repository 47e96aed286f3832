import crypto from 'node:crypto';
import { expect } from 'vitest';
import type { TestApp } from '../helpers/testApp.js';
import { factories } from '../helpers/factories.js';

/** Builders that go through the HTTP API (so the same rules and the search document apply). */
export const api = '/api/v1';
export const DAY = 24 * 3600 * 1000;
export const uniq = () => crypto.randomBytes(4).toString('hex');

export function catalog(t: TestApp) {
  const make = factories(t.db, t.ctx.tokens);
  const helpers = {
    make,
    async post(url: string, headers: Record<string, string>, payload: object, status = 201) {
      const res = await t.app.inject({ method: 'POST', url: `${api}${url}`, headers, payload });
      expect(res.statusCode, `POST ${url}: ${res.body}`).toBe(status);
      return res.json();
    },
    async venue(owner: { auth: Record<string, string>; organizerId: string }, o: Record<string, unknown> = {}) {
      return helpers.post(`/organizers/${owner.organizerId}/venues`, owner.auth, {
        name: `Venue ${uniq()}`,
        city: 'Kigali',
        country: 'RW',
        timezone: 'Africa/Kigali',
        capacity: 1000,
        ...o,
      });
    },
    async event(owner: { auth: Record<string, string>; organizerId: string }, o: Record<string, unknown> & { startsAt?: string } = {}) {
      const venueId = (o.venueId as string | undefined) ?? (await helpers.venue(owner)).id;
      const startsAt = o.startsAt ?? new Date(Date.now() + 30 * DAY).toISOString();
      return helpers.post(`/organizers/${owner.organizerId}/events`, owner.auth, {
        name: `Event ${uniq()}`,
        venueId,
        startsAt,
        endsAt: new Date(new Date(startsAt).getTime() + 3 * 3600 * 1000).toISOString(),
        ...o,
      });
    },
    async ticketType(owner: { auth: Record<string, string> }, eventId: string, o: Record<string, unknown> = {}) {
      return helpers.post(`/events/${eventId}/ticket-types`, owner.auth, { name: `Regular ${uniq()}`, price: 5000, currency: 'RWF', capacity: 100, ...o });
    },
    /** A published event with one ticket type. */
    async published(owner: { auth: Record<string, string>; organizerId: string }, o: Record<string, unknown> & { startsAt?: string } = {}) {
      const event = await helpers.event(owner, o);
      const ticketType = await helpers.ticketType(owner, event.id);
      const published = await helpers.post(`/events/${event.id}/publish`, owner.auth, {}, 200);
      return { event: published, ticketType };
    },
  };
  return helpers;
}
