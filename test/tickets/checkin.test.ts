import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { testApp, type TestApp } from '../helpers/testApp.js';
import { generateEventKey, signPayload } from '../../src/modules/tickets/tickets.signing.js';
import { confirmedBooking, createList, gateSetup, newKey, ticketsOf } from './support.js';

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(async () => {
  await t?.close();
});

async function issued(s: Awaited<ReturnType<typeof gateSetup>>, ticketTypeId: string, quantity: number) {
  const b = await confirmedBooking(t.db, { eventId: s.event.id, items: [{ ticketTypeId, quantity }] });
  await t.ctx.tickets.issueForBooking(b.id);
  return { booking: b, tickets: await ticketsOf(t, b.id) };
}

describe('check-in lists', () => {
  it('owners and managers manage them; gate staff read them and scan; strangers see nothing', async () => {
    const s = await gateSetup(t);
    const manager = await s.make.member({ organizerId: s.owner.organizerId, role: 'manager' });
    const list = await createList(t, manager.auth, s.event.id, { name: 'VIP door', ticketTypeIds: [s.vip.id, s.vip.id], gates: ['North ', 'North', 'South'] });
    expect(list).toMatchObject({ eventId: s.event.id, ticketTypeIds: [s.vip.id], gates: ['North', 'South'] });
    const audit = await t.db.selectFrom('audit_log').select(['action', 'actor_user_id', 'organizer_id']).where('target_id', '=', list.id).execute();
    expect(audit).toEqual([{ action: 'checkin_list.created', actor_user_id: manager.id, organizer_id: s.owner.organizerId }]);

    const asGate = await t.app.inject({ method: 'POST', url: `/api/v1/events/${s.event.id}/checkin-lists`, headers: { ...s.gate.auth, 'idempotency-key': newKey() }, payload: { name: 'x' } });
    expect(asGate.statusCode).toBe(403);
    const stranger = await s.make.member({ role: 'owner' });
    const asStranger = await t.app.inject({ method: 'POST', url: `/api/v1/events/${s.event.id}/checkin-lists`, headers: { ...stranger.auth, 'idempotency-key': newKey() }, payload: { name: 'x' } });
    expect(asStranger.statusCode).toBe(404);
    expect((await t.app.inject({ url: `/api/v1/checkin-lists/${list.id}`, headers: stranger.auth })).statusCode).toBe(404);
    expect((await t.app.inject({ url: `/api/v1/checkin-lists/${list.id}` })).statusCode).toBe(401);
    const scanAsStranger = await t.app.inject({ method: 'POST', url: `/api/v1/checkin-lists/${list.id}/checkins`, headers: stranger.auth, payload: { code: 'ABCDEFGH', gate: 'North', deviceId: 'd' } });
    expect(scanAsStranger.statusCode).toBe(404);

    const all = await t.app.inject({ url: `/api/v1/events/${s.event.id}/checkin-lists`, headers: s.gate.auth });
    expect(all.json().items.map((l: { id: string }) => l.id)).toEqual([list.id]);

    const patched = await t.app.inject({ method: 'PATCH', url: `/api/v1/checkin-lists/${list.id}`, headers: s.owner.auth, payload: { name: 'All doors', ticketTypeIds: [] } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ name: 'All doors', ticketTypeIds: [], gates: ['North', 'South'] });
    expect((await t.app.inject({ method: 'PATCH', url: `/api/v1/checkin-lists/${list.id}`, headers: s.gate.auth, payload: { name: 'x' } })).statusCode).toBe(403);
  });
});

describe('scanning', () => {
  it('admits once, then answers already_redeemed with when and where it first got in', async () => {
    const s = await gateSetup(t);
    const { tickets } = await issued(s, s.regular.id, 2);
    const list = await createList(t, s.owner.auth, s.event.id, { name: 'Main', gates: ['A', 'B'] });
    const scan = (body: object) => t.app.inject({ method: 'POST', url: `/api/v1/checkin-lists/${list.id}/checkins`, headers: s.gate.auth, payload: body });

    const first = await scan({ payload: tickets[0]!.qr_payload, gate: 'A', deviceId: 'scanner-1', scanId: 's1' });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ result: 'admitted', ticket: { id: tickets[0]!.id, ticketType: { name: 'Regular' }, holder: { name: 'Aline Uwase' } }, admission: { gate: 'A', deviceId: 'scanner-1' } });

    const again = await scan({ payload: tickets[0]!.qr_payload, gate: 'B', deviceId: 'scanner-2' });
    expect(again.json()).toMatchObject({ result: 'rejected', code: 'already_redeemed', admission: { gate: 'A', deviceId: 'scanner-1', scannedAt: first.json().admission.scannedAt } });

    // The same scan retried by the same device (lost answer): admitted, replayed.
    const retry = await scan({ payload: tickets[0]!.qr_payload, gate: 'A', deviceId: 'scanner-1', scanId: 's1' });
    expect(retry.json()).toMatchObject({ result: 'admitted', replayed: true });

    // By typed code, forgiving case and dashes.
    const code = tickets[1]!.code;
    const byCode = await scan({ code: ` ${code.slice(0, 4).toLowerCase()}-${code.slice(4)} `, gate: 'B', deviceId: 'scanner-2' });
    expect(byCode.json()).toMatchObject({ result: 'admitted', ticket: { id: tickets[1]!.id } });
    expect((await scan({ code: 'ZZZZ-ZZZZ', gate: 'B', deviceId: 'x' })).json()).toMatchObject({ result: 'rejected', code: 'unknown_ticket' });

    const { rows } = await sql<{ n: number }>`select count(*)::int as n from checkins where checkin_list_id = ${list.id}`.execute(t.db);
    expect(rows[0]!.n).toBe(2);
  });

  it('refuses forged, altered, foreign, out-of-list, revoked and too-early tickets with their codes', async () => {
    const s = await gateSetup(t);
    const { tickets, booking } = await issued(s, s.regular.id, 2);
    const { tickets: vips } = await issued(s, s.vip.id, 1);
    const vipList = await createList(t, s.owner.auth, s.event.id, { name: 'VIP', ticketTypeIds: [s.vip.id] });
    const scan = (listId: string, body: object) =>
      t.app.inject({ method: 'POST', url: `/api/v1/checkin-lists/${listId}/checkins`, headers: s.gate.auth, payload: { gate: 'G', deviceId: 'd', ...body } }).then((r) => r.json());

    const good = tickets[0]!.qr_payload;
    const [v, body, sig] = good.split('.') as [string, string, string];
    const altered = Buffer.from(body, 'base64url');
    altered[3] = altered[3]! ^ 0xff; // another ticket id, same signature
    expect(await scan(vipList.id, { payload: `${v}.${altered.toString('base64url')}.${sig}` })).toMatchObject({ result: 'rejected', code: 'invalid_signature' });
    // Forged: a real ticket's claims signed with the forger's key, claiming the event's key id.
    const forger = generateEventKey();
    const keyId = tickets[0]!.key_id;
    const forged = signPayload({ ticketId: vips[0]!.id, eventId: s.event.id, ticketTypeId: s.vip.id, keyId }, forger.privateKey);
    expect(await scan(vipList.id, { payload: forged })).toMatchObject({ result: 'rejected', code: 'invalid_signature' });
    expect(await scan(vipList.id, { payload: 'hello' })).toMatchObject({ result: 'rejected', code: 'invalid_signature' });
    expect(await scan(vipList.id, { payload: good })).toMatchObject({ result: 'rejected', code: 'not_in_list', ticket: { id: tickets[0]!.id } });

    // A ticket of another event (even of the same organizer) on this list.
    const other = await s.make.event({ organizerId: s.owner.organizerId, startsAt: new Date(Date.now() - 60_000) });
    const { ticketType: otherType } = await s.make.ticketType({ eventId: other.id });
    const ob = await confirmedBooking(t.db, { eventId: other.id, items: [{ ticketTypeId: otherType.id, quantity: 1 }] });
    await t.ctx.tickets.issueForBooking(ob.id);
    const [foreign] = await ticketsOf(t, ob.id);
    expect(await scan(vipList.id, { payload: foreign!.qr_payload })).toMatchObject({ result: 'rejected', code: 'wrong_event' });
    // On its own event's list once that event is cancelled (before refunds revoke it).
    const otherList = await createList(t, s.owner.auth, other.id, { name: 'Other' });
    await sql`update events set status = 'cancelled', cancelled_at = now() where id = ${other.id}`.execute(t.db);
    expect(await scan(otherList.id, { payload: foreign!.qr_payload })).toMatchObject({ result: 'rejected', code: 'event_cancelled' });

    await sql`update holds set refunded_quantity = 2 where booking_id = ${booking.id}`.execute(t.db);
    await sql`update bookings set status = 'refunded' where id = ${booking.id}`.execute(t.db);
    await t.ctx.tickets.revokeForBooking(booking.id);
    const all = await createList(t, s.owner.auth, s.event.id, { name: 'All' });
    expect(await scan(all.id, { payload: tickets[1]!.qr_payload })).toMatchObject({ result: 'rejected', code: 'revoked' });
    expect(await scan(all.id, { code: tickets[1]!.code })).toMatchObject({ result: 'rejected', code: 'revoked' });

    // An event next month: check-in has not opened (it opens CHECKIN_OPENS_MINUTES_BEFORE the start).
    const later = await s.make.event({ organizerId: s.owner.organizerId });
    const { ticketType: laterType } = await s.make.ticketType({ eventId: later.id });
    const lb = await confirmedBooking(t.db, { eventId: later.id, items: [{ ticketTypeId: laterType.id, quantity: 1 }] });
    await t.ctx.tickets.issueForBooking(lb.id);
    const laterList = await createList(t, s.owner.auth, later.id, { name: 'Later' });
    const [early] = await ticketsOf(t, lb.id);
    expect(await scan(laterList.id, { payload: early!.qr_payload })).toMatchObject({ result: 'rejected', code: 'not_yet_valid' });

    const { rows } = await sql<{ n: number }>`select count(*)::int as n from checkins where checkin_list_id in (${vipList.id}, ${all.id}, ${laterList.id}, ${otherList.id})`.execute(t.db);
    expect(rows[0]!.n).toBe(0);
  });

  it('50 scans of one ticket at the same instant over a real socket: exactly one admitted, 49 already_redeemed', async () => {
    const s = await gateSetup(t);
    const { tickets } = await issued(s, s.regular.id, 1);
    const list = await createList(t, s.owner.auth, s.event.id, { name: 'Stadium' });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.app.server.address() as { port: number };
    const url = `http://127.0.0.1:${address.port}/api/v1/checkin-lists/${list.id}/checkins`;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...s.gate.auth },
          body: JSON.stringify({ payload: tickets[0]!.qr_payload, gate: `gate-${i % 10}`, deviceId: `device-${i}` }),
        }).then(async (r) => ({ status: r.status, body: (await r.json()) as { result: string; code?: string; admission?: { gate: string } } })),
      ),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    const admitted = results.filter((r) => r.body.result === 'admitted');
    expect(admitted).toHaveLength(1);
    const refused = results.filter((r) => r.body.result === 'rejected');
    expect(refused).toHaveLength(49);
    expect(refused.every((r) => r.body.code === 'already_redeemed' && r.body.admission?.gate === admitted[0]!.body.admission!.gate)).toBe(true);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from checkins where ticket_id = ${tickets[0]!.id}`.execute(t.db);
    expect(rows[0]!.n).toBe(1);

    const stats = await t.app.inject({ url: `/api/v1/checkin-lists/${list.id}/stats`, headers: s.gate.auth });
    expect(stats.json()).toMatchObject({
      checkedIn: 1,
      total: 1,
      ticketTypes: expect.arrayContaining([
        { ticketTypeId: s.regular.id, name: 'Regular', checkedIn: 1, total: 1 },
        { ticketTypeId: s.vip.id, name: 'VIP', checkedIn: 0, total: 0 },
      ]),
    });
  });

  it('once per list: a second list admits the same ticket once more', async () => {
    const s = await gateSetup(t);
    const { tickets } = await issued(s, s.vip.id, 1);
    const gate = await createList(t, s.owner.auth, s.event.id, { name: 'Gate' });
    const lounge = await createList(t, s.owner.auth, s.event.id, { name: 'VIP lounge', ticketTypeIds: [s.vip.id] });
    const scan = (listId: string) =>
      t.app.inject({ method: 'POST', url: `/api/v1/checkin-lists/${listId}/checkins`, headers: s.owner.auth, payload: { payload: tickets[0]!.qr_payload, gate: 'x', deviceId: 'd' } }).then((r) => r.json().result);
    expect([await scan(gate.id), await scan(lounge.id), await scan(gate.id), await scan(lounge.id)]).toEqual(['admitted', 'admitted', 'rejected', 'rejected']);
  });
});
