import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { testApp, type TestApp } from '../helpers/testApp.js';
import { taskList, TASKS } from '../../src/platform/jobs/tasks.js';
import { publicKeyFromRaw, verifyPayload } from '../../src/modules/tickets/tickets.signing.js';
import { confirmedBooking, createList, gateSetup, newKey, queuedJobs, ticketsOf } from './support.js';

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(async () => {
  await t?.close();
});

const helpers = { logger: { error: () => {}, info: () => {} }, addJob: async () => ({}) } as never;

describe('issuance', () => {
  it('issues one ticket per admission, once, however many times (and however concurrently) the confirmation is processed', async () => {
    const s = await gateSetup(t);
    const b = await confirmedBooking(t.db, { eventId: s.event.id, items: [{ ticketTypeId: s.regular.id, quantity: 3 }, { ticketTypeId: s.vip.id, quantity: 2 }] });
    const tasks = taskList(t.ctx);
    // The payments module enqueues booking_confirmed; ours is the handler registered under that name.
    await Promise.all([1, 2, 3, 4, 5].map(() => tasks[TASKS.bookingConfirmed]!({ bookingId: b.id, paymentId: newKey() }, helpers)));
    const again = await t.ctx.tickets.issueForBooking(b.id);
    expect(again).toEqual({ issued: 0, revoked: 0 });

    const rows = await ticketsOf(t, b.id);
    expect(rows).toHaveLength(5);
    expect(rows.filter((r) => r.ticket_type_id === s.regular.id).map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(new Set(rows.map((r) => r.code)).size).toBe(5);
    for (const r of rows) {
      expect(r.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(r.code).toMatch(/^[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{8}$/);
      expect(r.holder_name).toBe('Aline Uwase');
    }
    // One email job for the booking (keyed), queued in the issuing transaction.
    expect(await queuedJobs(t.db, TASKS.sendTicketsEmail, `tickets-email:${b.id}`)).toBe(1);
  });

  it('a pending booking gets no tickets; a bad task payload is dropped', async () => {
    const s = await gateSetup(t);
    const b = await confirmedBooking(t.db, { eventId: s.event.id, items: [{ ticketTypeId: s.regular.id, quantity: 2 }], status: 'pending' });
    expect(await t.ctx.tickets.issueForBooking(b.id)).toEqual({ issued: 0, revoked: 0 });
    await taskList(t.ctx)[TASKS.bookingConfirmed]!({ bookingId: 'nope' }, helpers);
    expect(await ticketsOf(t, b.id)).toHaveLength(0);
  });

  it('the buyer reads the tickets with the booking token; QR payloads verify with the downloaded public key alone', async () => {
    const s = await gateSetup(t);
    const b = await confirmedBooking(t.db, { eventId: s.event.id, items: [{ ticketTypeId: s.vip.id, quantity: 2 }] });
    await t.ctx.tickets.issueForBooking(b.id);

    const res = await t.app.inject({ url: `/api/v1/bookings/${b.id}/tickets`, headers: b.tokenHeader });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.bookingStatus).toBe('confirmed');
    expect(body.tickets).toHaveLength(2);
    expect(body.tickets[0]).toMatchObject({ ticketType: { id: s.vip.id, name: 'VIP' }, holder: { name: 'Aline Uwase' }, status: 'valid' });

    const key = await t.app.inject({ url: `/api/v1/events/${s.event.id}/ticket-key`, headers: s.gate.auth });
    expect(key.statusCode).toBe(200);
    expect(key.json()).toMatchObject({ algorithm: 'Ed25519', eventId: s.event.id });
    const pub = publicKeyFromRaw(Buffer.from(key.json().publicKey, 'base64url'));
    for (const tk of body.tickets) {
      expect(verifyPayload(tk.qrPayload, pub)).toEqual({ ticketId: tk.id, eventId: s.event.id, ticketTypeId: s.vip.id, keyId: key.json().keyId });
    }

    // Without the token or as a stranger: not found / unauthenticated; a stranger cannot get the event key.
    expect((await t.app.inject({ url: `/api/v1/bookings/${b.id}/tickets` })).statusCode).toBe(401);
    const stranger = await s.make.user();
    expect((await t.app.inject({ url: `/api/v1/bookings/${b.id}/tickets`, headers: stranger.auth })).statusCode).toBe(404);
    expect((await t.app.inject({ url: `/api/v1/bookings/${b.id}/tickets`, headers: { 'x-booking-token': 'wrong' } })).statusCode).toBe(404);
    expect((await t.app.inject({ url: `/api/v1/events/${s.event.id}/ticket-key`, headers: stranger.auth })).statusCode).toBe(404);
    // The organizer's gate staff read the booking's tickets.
    expect((await t.app.inject({ url: `/api/v1/bookings/${b.id}/tickets`, headers: s.gate.auth })).statusCode).toBe(200);

    const png = await t.app.inject({ url: `/api/v1/tickets/${body.tickets[0].id}/qr.png`, headers: b.tokenHeader });
    expect(png.statusCode).toBe(200);
    expect(png.headers['content-type']).toBe('image/png');
    expect(png.rawPayload.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect((await t.app.inject({ url: `/api/v1/tickets/${body.tickets[0].id}/qr.png`, headers: stranger.auth })).statusCode).toBe(404);
  });
});

describe('revocation', () => {
  it('a partial refund revokes that many tickets of the type, not the one already checked in; revoked tickets are refused and listed for devices', async () => {
    const s = await gateSetup(t);
    const b = await confirmedBooking(t.db, { eventId: s.event.id, items: [{ ticketTypeId: s.regular.id, quantity: 3 }] });
    await t.ctx.tickets.issueForBooking(b.id);
    const list = await createList(t, s.owner.auth, s.event.id, { name: 'Main gate' });
    const rows = await ticketsOf(t, b.id);
    // The highest seq would be picked first — but it already got in, so it is kept.
    const scan = (payload: string) =>
      t.app.inject({ method: 'POST', url: `/api/v1/checkin-lists/${list.id}/checkins`, headers: s.gate.auth, payload: { payload, gate: 'A', deviceId: 'd1' } });
    expect((await scan(rows[2]!.qr_payload)).json().result).toBe('admitted');

    // What refunds does inside its transaction: holds.refunded_quantity, then revokeForBooking.
    await t.db.transaction().execute(async (tx) => {
      await sql`update holds set refunded_quantity = 1 where booking_id = ${b.id}`.execute(tx);
      await sql`update bookings set status = 'partially_refunded' where id = ${b.id}`.execute(tx);
      expect(await t.ctx.tickets.revokeForBooking(b.id, {}, tx)).toEqual({ revoked: 1 });
    });
    // Reconciling again changes nothing (idempotent).
    expect(await t.ctx.tickets.revokeForBooking(b.id)).toEqual({ revoked: 0 });
    const after = await ticketsOf(t, b.id);
    expect(after.map((r) => (r.revoked_at ? 'revoked' : 'valid'))).toEqual(['valid', 'revoked', 'valid']);
    expect(after[1]!.revoked_reason).toBe('refunded');

    const refused = await scan(after[1]!.qr_payload);
    expect(refused.json()).toMatchObject({ result: 'rejected', code: 'revoked' });

    // Explicit items: one more of that type — the not-checked-in one (seq 1), never the admitted one first.
    expect(await t.ctx.tickets.revokeForBooking(b.id, { items: [{ ticketTypeId: s.regular.id, quantity: 1 }], reason: 'booking_cancelled' })).toEqual({ revoked: 1 });
    expect((await ticketsOf(t, b.id)).map((r) => Boolean(r.revoked_at))).toEqual([true, true, false]);

    const dl = await t.app.inject({ url: `/api/v1/checkin-lists/${list.id}/tickets`, headers: s.gate.auth });
    expect(dl.statusCode).toBe(200);
    expect(dl.json().revocations.map((r: { id: string }) => r.id).sort()).toEqual([after[0]!.id, after[1]!.id].sort());
    expect(dl.json().tickets.map((r: { id: string }) => r.id)).toEqual([after[2]!.id]);

    const json = await t.app.inject({ url: `/api/v1/bookings/${b.id}/tickets`, headers: b.tokenHeader });
    expect(json.json().tickets.map((x: { status: string }) => x.status)).toEqual(['revoked', 'revoked', 'checked_in']);
    expect(json.json().tickets[0].qrPayload).toBeNull();
    expect((await t.app.inject({ url: `/api/v1/tickets/${after[1]!.id}/qr.png`, headers: b.tokenHeader })).json().code).toBe('ticket_revoked');
  });

  it('a refund that lands before issuance: the refunded admissions are issued revoked; a fully refunded booking keeps none', async () => {
    const s = await gateSetup(t);
    const b = await confirmedBooking(t.db, { eventId: s.event.id, items: [{ ticketTypeId: s.regular.id, quantity: 2 }] });
    await sql`update holds set refunded_quantity = 1 where booking_id = ${b.id}`.execute(t.db);
    await sql`update bookings set status = 'partially_refunded' where id = ${b.id}`.execute(t.db);
    expect(await t.ctx.tickets.issueForBooking(b.id)).toEqual({ issued: 2, revoked: 1 });
    await sql`update holds set refunded_quantity = 2 where booking_id = ${b.id}`.execute(t.db);
    await sql`update bookings set status = 'refunded' where id = ${b.id}`.execute(t.db);
    expect(await t.ctx.tickets.revokeForBooking(b.id)).toEqual({ revoked: 1 });
    expect((await ticketsOf(t, b.id)).every((r) => r.revoked_at)).toBe(true);
    const pdf = await t.app.inject({ url: `/api/v1/bookings/${b.id}/tickets.pdf`, headers: b.tokenHeader });
    expect(pdf.statusCode).toBe(409);
    expect(pdf.json().code).toBe('tickets_not_issued');
  });
});

describe('bad input', () => {
  it('answers precise 400s, never 500', async () => {
    const s = await gateSetup(t);
    const cases: [string, string, unknown, Record<string, string>?][] = [
      ['GET', '/api/v1/bookings/not-a-uuid/tickets', undefined],
      ['GET', '/api/v1/tickets/123/qr.png', undefined],
      ['POST', `/api/v1/events/${s.event.id}/checkin-lists`, { name: '' }],
      ['POST', `/api/v1/events/${s.event.id}/checkin-lists`, { name: 'x', extra: 1 }],
      ['POST', `/api/v1/events/${s.event.id}/checkin-lists`, { name: 'x', ticketTypeIds: ['nope'] }],
      ['POST', `/api/v1/events/${s.event.id}/checkin-lists`, { name: 'x', ticketTypeIds: [newKey()] }],
      ['POST', `/api/v1/events/${s.event.id}/checkin-lists`, { name: '   ' }],
    ];
    for (const [method, url, payload] of cases) {
      const res = await t.app.inject({ method: method as 'GET', url, headers: { ...s.owner.auth, 'idempotency-key': newKey() }, ...(payload ? { payload: payload as object } : {}) });
      expect(res.statusCode, `${method} ${url} ${JSON.stringify(payload)} → ${res.body}`).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    const list = await createList(t, s.owner.auth, s.event.id, { name: 'Main', gates: ['A', 'B'] });
    const scans: unknown[] = [
      { gate: 'A', deviceId: 'd' },
      { payload: 'x', code: 'ABCDEFGH', gate: 'A', deviceId: 'd' },
      { payload: 'x', gate: 'Z', deviceId: 'd' },
      { payload: 'x', gate: 'A' },
      { payload: 'x', gate: 'A', deviceId: 'd', extra: true },
      { payload: 42, gate: 'A', deviceId: 'd' },
    ];
    for (const payload of scans) {
      const res = await t.app.inject({ method: 'POST', url: `/api/v1/checkin-lists/${list.id}/checkins`, headers: s.gate.auth, payload: payload as object });
      expect(res.statusCode, `${JSON.stringify(payload)} → ${res.body}`).toBe(400);
    }
    const syncs: unknown[] = [
      { deviceId: 'd', scans: [] },
      { deviceId: 'd', scans: [{ payload: 'x', gate: 'A', scannedAt: 'yesterday', localScanId: '1' }] },
      { deviceId: 'd', scans: [{ payload: 'x', gate: 'A', scannedAt: new Date(Date.now() + 3600_000).toISOString(), localScanId: '1' }] },
      { deviceId: 'd', scans: [{ payload: 'x', gate: 'A', scannedAt: new Date().toISOString(), localScanId: '1' }, { code: 'ABCDEFGH', gate: 'A', scannedAt: new Date().toISOString(), localScanId: '1' }] },
      { deviceId: 'd', scans: [{ payload: 'x', gate: 'Q', scannedAt: new Date().toISOString(), localScanId: '1' }] },
    ];
    for (const payload of syncs) {
      const res = await t.app.inject({ method: 'POST', url: `/api/v1/checkin-lists/${list.id}/sync`, headers: s.gate.auth, payload: payload as object });
      expect(res.statusCode, `${JSON.stringify(payload)} → ${res.body}`).toBe(400);
    }
    for (const q of ['since=garbage', 'limit=0', 'limit=abc', 'foo=1']) {
      const res = await t.app.inject({ url: `/api/v1/checkin-lists/${list.id}/tickets?${q}`, headers: s.gate.auth });
      expect(res.statusCode, `${q} → ${res.body}`).toBe(400);
    }
    const patch = await t.app.inject({ method: 'PATCH', url: `/api/v1/checkin-lists/${list.id}`, headers: s.owner.auth, payload: {} });
    expect(patch.statusCode).toBe(400);
  });
});
