import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../helpers/testApp.js';
import { factories } from '../helpers/factories.js';

interface Entry {
  id: string;
  action: string;
  actor: { id: string; name: string | null } | null;
  organizerId: string | null;
  target: { type: string; id: string };
  requestId: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  createdAt: string;
}

let t: TestApp;
let make: ReturnType<typeof factories>;

beforeAll(async () => {
  t = await testApp();
  make = factories(t.db, t.ctx.tokens);
});
afterAll(async () => t?.close());

const rid = () => `test-${crypto.randomBytes(6).toString('hex')}`;

async function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, auth: Record<string, string>, payload?: object) {
  const requestId = rid();
  const res = await t.app.inject({ method, url, headers: { ...auth, 'x-request-id': requestId }, ...(payload ? { payload } : {}) });
  return { res, requestId, body: (res.body ? res.json() : {}) as Record<string, unknown> };
}

async function auditOf(organizerId: string, auth: Record<string, string>, query = ''): Promise<Entry[]> {
  const items: Entry[] = [];
  let cursor: string | null = null;
  do {
    const qs = new URLSearchParams(query);
    qs.set('limit', '3');
    if (cursor) qs.set('cursor', cursor);
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/organizers/${organizerId}/audit?${qs}`, headers: auth });
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json() as { items: Entry[]; nextCursor: string | null };
    expect(page.items.length).toBeLessThanOrEqual(3);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

describe('audit log', () => {
  it('records every privileged change of an organizer with actor, request id and before/after, newest first', async () => {
    const admin = await make.admin();
    const created = await call('POST', '/api/v1/organizers', admin.auth, { name: `Audit Org ${crypto.randomBytes(3).toString('hex')}` });
    expect(created.res.statusCode).toBe(201);
    const orgId = created.body.id as string;
    const commission = await call('PATCH', `/api/v1/organizers/${orgId}`, admin.auth, { commissionBps: 750 });
    expect(commission.res.statusCode).toBe(200);

    const owner = await make.member({ organizerId: orgId, role: 'owner' });
    const newcomer = await make.user();
    const added = await call('POST', `/api/v1/organizers/${orgId}/members`, owner.auth, { email: newcomer.email, role: 'manager' });
    expect(added.res.statusCode).toBe(201);
    const venue = await call('POST', `/api/v1/organizers/${orgId}/venues`, owner.auth, {
      name: 'Kigali Arena',
      city: 'Kigali',
      country: 'RW',
      timezone: 'Africa/Kigali',
      capacity: 10_000,
    });
    expect(venue.res.statusCode, JSON.stringify(venue.body)).toBe(201);
    const venueUpd = await call('PATCH', `/api/v1/venues/${venue.body.id}`, owner.auth, { capacity: 9000 });
    expect(venueUpd.res.statusCode).toBe(200);
    const startsAt = new Date(Date.now() + 40 * 86400_000);
    const event = await call('POST', `/api/v1/organizers/${orgId}/events`, owner.auth, {
      name: 'Jazz night',
      venueId: venue.body.id,
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 3 * 3600_000).toISOString(),
    });
    expect(event.res.statusCode, JSON.stringify(event.body)).toBe(201);
    const eventId = event.body.id as string;
    const eventUpd = await call('PATCH', `/api/v1/events/${eventId}`, owner.auth, { name: 'Jazz night II' });
    expect(eventUpd.res.statusCode).toBe(200);
    const tt = await call('POST', `/api/v1/events/${eventId}/ticket-types`, owner.auth, { name: 'Regular', price: 5000, currency: 'RWF', capacity: 100 });
    expect(tt.res.statusCode, JSON.stringify(tt.body)).toBe(201);
    const cap = await call('PATCH', `/api/v1/ticket-types/${tt.body.id}`, owner.auth, { capacity: 120, price: 6000, sortOrder: 2 });
    expect(cap.res.statusCode, JSON.stringify(cap.body)).toBe(200);
    const publish = await call('POST', `/api/v1/events/${eventId}/publish`, owner.auth);
    expect(publish.res.statusCode).toBe(200);
    const cancel = await call('POST', `/api/v1/events/${eventId}/cancel`, owner.auth);
    expect(cancel.res.statusCode).toBe(200);
    const removed = await call('DELETE', `/api/v1/organizers/${orgId}/members/${newcomer.id}`, owner.auth);
    expect(removed.res.statusCode).toBe(204);

    const entries = await auditOf(orgId, owner.auth);
    const byAction = new Map(entries.map((e) => [e.action, e]));
    expect(entries.map((e) => e.action).reverse()).toEqual([
      'organizer.created',
      'organizer.commission_changed',
      'member.added',
      'venue.created',
      'venue.updated',
      'event.created',
      'event.updated',
      'ticket_type.created',
      'ticket_type.capacity_changed',
      'ticket_type.price_changed',
      'ticket_type.updated',
      'event.published',
      'event.cancelled',
      'member.removed',
    ]);
    // Newest first, unique ids.
    expect(new Set(entries.map((e) => e.id)).size).toBe(entries.length);

    expect(byAction.get('organizer.created')).toMatchObject({ actor: { id: admin.id }, requestId: created.requestId, target: { type: 'organizer', id: orgId } });
    expect(byAction.get('organizer.commission_changed')).toMatchObject({
      actor: { id: admin.id },
      requestId: commission.requestId,
      before: { commissionBps: 500 },
      after: { commissionBps: 750 },
    });
    expect(byAction.get('member.added')).toMatchObject({ actor: { id: owner.id }, target: { type: 'user', id: newcomer.id }, after: { role: 'manager' } });
    expect(byAction.get('venue.updated')).toMatchObject({ before: { capacity: 10_000 }, after: { capacity: 9000 }, requestId: venueUpd.requestId });
    expect(byAction.get('event.updated')).toMatchObject({ before: { name: 'Jazz night' }, after: { name: 'Jazz night II' } });
    expect(byAction.get('ticket_type.capacity_changed')).toMatchObject({
      target: { type: 'ticket_type', id: tt.body.id },
      before: { capacity: 100 },
      after: { capacity: 120 },
      requestId: cap.requestId,
    });
    expect(byAction.get('ticket_type.price_changed')).toMatchObject({ before: { price: 5000, currency: 'RWF' }, after: { price: 6000 } });
    expect(byAction.get('ticket_type.updated')).toMatchObject({ before: { sortOrder: 0 }, after: { sortOrder: 2 } });
    expect(byAction.get('event.published')).toMatchObject({ before: { status: 'draft' }, after: { status: 'published' }, requestId: publish.requestId });
    expect(byAction.get('event.cancelled')).toMatchObject({ before: { status: 'published' }, after: { status: 'cancelled' } });
    expect(byAction.get('member.removed')).toMatchObject({ before: { role: 'manager' }, after: null });
    // No personal data in the log.
    expect(JSON.stringify(entries)).not.toContain(newcomer.email);

    // Filter by action prefix.
    const ticketTypeOnly = await auditOf(orgId, owner.auth, 'action=ticket_type');
    expect(ticketTypeOnly.map((e) => e.action).sort()).toEqual([
      'ticket_type.capacity_changed',
      'ticket_type.created',
      'ticket_type.price_changed',
      'ticket_type.updated',
    ]);
    expect((await auditOf(orgId, owner.auth, 'action=event.pub')).map((e) => e.action)).toEqual(['event.published']);

    // Admins see it in the global log too, filtered by organizer.
    const all = await t.app.inject({ method: 'GET', url: `/api/v1/admin/audit?organizerId=${orgId}&limit=100`, headers: admin.auth });
    expect(all.statusCode).toBe(200);
    expect((all.json() as { items: Entry[] }).items.map((e) => e.id)).toEqual(entries.map((e) => e.id));
  });

  it('organizers read only their own log; managers yes, gate staff no; admins read everything', async () => {
    const org = await make.organizer();
    const manager = await make.member({ organizerId: org.id, role: 'manager' });
    const gate = await make.member({ organizerId: org.id, role: 'gate' });
    const outsider = await make.member({ role: 'owner' });
    const url = `/api/v1/organizers/${org.id}/audit`;
    expect((await t.app.inject({ method: 'GET', url, headers: manager.auth })).statusCode).toBe(200);
    const g = await t.app.inject({ method: 'GET', url, headers: gate.auth });
    expect(g.statusCode).toBe(403);
    expect(g.headers['content-type']).toContain('application/problem+json');
    expect((await t.app.inject({ method: 'GET', url, headers: outsider.auth })).json()).toMatchObject({ status: 404, code: 'organizer_not_found' });
    expect((await t.app.inject({ method: 'GET', url })).statusCode).toBe(401);
    const adminOnly = await t.app.inject({ method: 'GET', url: '/api/v1/admin/audit', headers: manager.auth });
    expect(adminOnly.json()).toMatchObject({ status: 403, code: 'forbidden' });
    const bad = await t.app.inject({ method: 'GET', url: `${url}?cursor=nonsense`, headers: manager.auth });
    expect(bad.json()).toMatchObject({ status: 400, code: 'validation_failed' });
  });

  it('writes in the same transaction: a refused change leaves no entry', async () => {
    const owner = await make.member({ role: 'owner' });
    const member = await make.user();
    const first = await call('POST', `/api/v1/organizers/${owner.organizerId}/members`, owner.auth, { email: member.email, role: 'gate' });
    expect(first.res.statusCode).toBe(201);
    const again = await call('POST', `/api/v1/organizers/${owner.organizerId}/members`, owner.auth, { email: member.email, role: 'gate' });
    expect(again.res.statusCode).toBe(409);
    const lastOwner = await call('DELETE', `/api/v1/organizers/${owner.organizerId}/members/${owner.id}`, owner.auth);
    expect(lastOwner.body).toMatchObject({ code: 'last_owner' });
    const entries = await auditOf(owner.organizerId, owner.auth);
    expect(entries.map((e) => e.action)).toEqual(['member.added']);
    expect(entries[0]!.requestId).toBe(first.requestId);

    // And a failure inside the transaction after the audit write rolls the entry back too.
    const { ticketType } = await make.ticketType({ organizerId: owner.organizerId, capacity: 10 });
    await t.db.updateTable('ticket_types').set({ sold: 8 }).where('id', '=', ticketType.id).execute();
    const below = await call('PATCH', `/api/v1/ticket-types/${ticketType.id}`, owner.auth, { capacity: 5 });
    expect(below.body).toMatchObject({ status: 409 });
    const rows = await t.db.selectFrom('audit_log').selectAll().where('target_id', '=', ticketType.id).execute();
    expect(rows).toEqual([]);
  });
});
