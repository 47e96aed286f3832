import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { testApp, type TestApp } from '../helpers/testApp.js';
import { confirmedBooking, createList, gateSetup, ticketsOf } from './support.js';

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(async () => {
  await t?.close();
});

type Download = { tickets: { id: string }[]; revocations: { id: string; reason: string }[]; nextCursor: string | null; hasMore: boolean; publicKeys: { keyId: string }[] };

describe('offline download', () => {
  it('pages through tickets and revocations, then returns only what changed since the cursor', async () => {
    const s = await gateSetup(t);
    const b1 = await confirmedBooking(t.db, { eventId: s.event.id, items: [{ ticketTypeId: s.regular.id, quantity: 3 }] });
    const b2 = await confirmedBooking(t.db, { eventId: s.event.id, items: [{ ticketTypeId: s.vip.id, quantity: 2 }] });
    await t.ctx.tickets.issueForBooking(b1.id);
    await t.ctx.tickets.issueForBooking(b2.id);
    const list = await createList(t, s.owner.auth, s.event.id, { name: 'All' });
    const get = (q: string) => t.app.inject({ url: `/api/v1/checkin-lists/${list.id}/tickets?${q}`, headers: s.gate.auth }).then((r) => r.json() as Download);

    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page++) {
      const d: Download = await get(`limit=2${cursor ? `&since=${cursor}` : ''}`);
      seen.push(...d.tickets.map((x) => x.id));
      expect(d.publicKeys).toHaveLength(1);
      cursor = d.nextCursor;
      if (!d.hasMore) break;
    }
    expect(seen.sort()).toEqual([...(await ticketsOf(t, b1.id)), ...(await ticketsOf(t, b2.id))].map((x) => x.id).sort());

    // Nothing changed: nothing new, same cursor.
    const idle = await get(`since=${cursor}`);
    expect(idle).toMatchObject({ tickets: [], revocations: [], hasMore: false, nextCursor: cursor });

    // A refund and a new booking later: exactly those changes.
    await sql`update holds set refunded_quantity = 1 where booking_id = ${b1.id}`.execute(t.db);
    await sql`update bookings set status = 'partially_refunded' where id = ${b1.id}`.execute(t.db);
    await t.ctx.tickets.revokeForBooking(b1.id);
    const b3 = await confirmedBooking(t.db, { eventId: s.event.id, items: [{ ticketTypeId: s.regular.id, quantity: 1 }] });
    await t.ctx.tickets.issueForBooking(b3.id);
    const changes = await get(`since=${cursor}`);
    const revoked = (await ticketsOf(t, b1.id)).filter((x) => x.revoked_at);
    expect(changes.revocations.map((r) => r.id)).toEqual(revoked.map((r) => r.id));
    expect(changes.revocations[0]!.reason).toBe('refunded');
    expect(changes.tickets.map((x) => x.id)).toEqual((await ticketsOf(t, b3.id)).map((x) => x.id));

    // A list of VIP tickets only downloads VIP tickets.
    const vip = await createList(t, s.owner.auth, s.event.id, { name: 'VIP', ticketTypeIds: [s.vip.id] });
    const vd = (await t.app.inject({ url: `/api/v1/checkin-lists/${vip.id}/tickets`, headers: s.gate.auth })).json() as Download;
    expect(vd.tickets.map((x) => x.id).sort()).toEqual((await ticketsOf(t, b2.id)).map((x) => x.id).sort());
  });
});

describe('offline sync', () => {
  it('three devices that each let the same ticket in: one admission (the earliest scan), the others reported as conflicts', async () => {
    const s = await gateSetup(t);
    const b = await confirmedBooking(t.db, { eventId: s.event.id, items: [{ ticketTypeId: s.regular.id, quantity: 2 }] });
    await t.ctx.tickets.issueForBooking(b.id);
    const [shared, solo] = await ticketsOf(t, b.id);
    const list = await createList(t, s.owner.auth, s.event.id, { name: 'Gates', gates: ['North', 'South', 'East'] });
    const base = Date.now() - 10 * 60_000;
    const at = (offsetS: number) => new Date(base + offsetS * 1000).toISOString();
    const upload = (deviceId: string, gate: string, scans: object[]) =>
      t.app.inject({ method: 'POST', url: `/api/v1/checkin-lists/${list.id}/sync`, headers: s.gate.auth, payload: { deviceId, scans: scans.map((x) => ({ gate, ...x })) } });

    // Device B scanned it first (t+5s); A at t+20s; C at t+5s too, but "dev-c" > "dev-b" loses the tie.
    const uploads = await Promise.all([
      upload('dev-a', 'North', [{ payload: shared!.qr_payload, scannedAt: at(20), localScanId: 'a-1' }, { code: solo!.code, scannedAt: at(21), localScanId: 'a-2' }]),
      upload('dev-b', 'South', [{ payload: shared!.qr_payload, scannedAt: at(5), localScanId: 'b-1' }]),
      upload('dev-c', 'East', [{ payload: shared!.qr_payload, scannedAt: at(5), localScanId: 'c-1' }, { payload: 'TK1.garbage.garbage', scannedAt: at(6), localScanId: 'c-2' }]),
    ]);
    for (const u of uploads) expect(u.statusCode, u.body).toBe(200);
    const [a, bb, c] = uploads.map((u) => u.json());

    // Whatever order the uploads ran in, the end state is the same.
    const { rows } = await sql<{ device_id: string; gate: string; scan_id: string; scanned_at: Date; offline: boolean }>`
      select device_id, gate, scan_id, scanned_at, offline from checkins where ticket_id = ${shared!.id}`.execute(t.db);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ device_id: 'dev-b', gate: 'South', scan_id: 'b-1', offline: true });
    expect(rows[0]!.scanned_at.toISOString()).toBe(at(5));
    const conflicts = await t.db.selectFrom('checkin_conflicts').select(['device_id', 'scan_id']).where('ticket_id', '=', shared!.id).orderBy('device_id').execute();
    expect(conflicts).toEqual([{ device_id: 'dev-a', scan_id: 'a-1' }, { device_id: 'dev-c', scan_id: 'c-1' }]);

    // Each scan got a result; the conflicts were reported to whoever uploaded them.
    expect(a.results.find((r: { localScanId: string }) => r.localScanId === 'a-2')).toMatchObject({ result: 'admitted', ticket: { id: solo!.id } });
    expect(c.results.find((r: { localScanId: string }) => r.localScanId === 'c-2')).toMatchObject({ result: 'rejected', code: 'invalid_signature' });
    expect(bb.results[0]).toMatchObject({ localScanId: 'b-1', result: 'admitted' });
    const reported = [...a.conflicts, ...bb.conflicts, ...c.conflicts];
    const lostScans = new Set(reported.map((x: { conflicting: { localScanId: string } }) => x.conflicting.localScanId));
    expect(lostScans).toEqual(new Set(['a-1', 'c-1']));
    // The final admission as the last uploader learned it is device B's.
    expect(reported.every((x: { ticketId: string }) => x.ticketId === shared!.id)).toBe(true);

    // A retried upload (lost answer) changes nothing and answers the same.
    const retry = (await upload('dev-b', 'South', [{ payload: shared!.qr_payload, scannedAt: at(5), localScanId: 'b-1' }])).json();
    expect(retry.results[0]).toMatchObject({ result: 'admitted', replayed: true });
    const retryA = (await upload('dev-a', 'North', [{ payload: shared!.qr_payload, scannedAt: at(20), localScanId: 'a-1' }])).json();
    expect(retryA.results[0]).toMatchObject({ result: 'rejected', code: 'already_redeemed', admission: { deviceId: 'dev-b', gate: 'South' } });
    expect(await t.db.selectFrom('checkin_conflicts').select('id').where('ticket_id', '=', shared!.id).execute()).toHaveLength(2);

    // Online scans after the sync see the offline admission.
    const online = await t.app.inject({ method: 'POST', url: `/api/v1/checkin-lists/${list.id}/checkins`, headers: s.gate.auth, payload: { payload: shared!.qr_payload, gate: 'North', deviceId: 'online' } });
    expect(online.json()).toMatchObject({ result: 'rejected', code: 'already_redeemed', admission: { deviceId: 'dev-b', offline: true } });
    const stats = (await t.app.inject({ url: `/api/v1/checkin-lists/${list.id}/stats`, headers: s.gate.auth })).json();
    expect(stats).toMatchObject({ checkedIn: 2, total: 2 });
  });

  it('an earlier offline scan uploaded after an online admission takes the admission over and reports the online one', async () => {
    const s = await gateSetup(t);
    const b = await confirmedBooking(t.db, { eventId: s.event.id, items: [{ ticketTypeId: s.regular.id, quantity: 1 }] });
    await t.ctx.tickets.issueForBooking(b.id);
    const [tk] = await ticketsOf(t, b.id);
    const list = await createList(t, s.owner.auth, s.event.id, { name: 'Main' });
    const online = await t.app.inject({ method: 'POST', url: `/api/v1/checkin-lists/${list.id}/checkins`, headers: s.gate.auth, payload: { payload: tk!.qr_payload, gate: 'A', deviceId: 'online-1' } });
    expect(online.json().result).toBe('admitted');
    const early = new Date(Date.now() - 5 * 60_000).toISOString();
    const up = await t.app.inject({ method: 'POST', url: `/api/v1/checkin-lists/${list.id}/sync`, headers: s.gate.auth, payload: { deviceId: 'offline-1', scans: [{ payload: tk!.qr_payload, gate: 'B', scannedAt: early, localScanId: 'x1' }] } });
    expect(up.json().results[0]).toMatchObject({ result: 'admitted' });
    expect(up.json().conflicts).toEqual([expect.objectContaining({ ticketId: tk!.id, admission: expect.objectContaining({ deviceId: 'offline-1' }), conflicting: expect.objectContaining({ deviceId: 'online-1', gate: 'A' }) })]);
    const rows = await t.db.selectFrom('checkins').select(['device_id']).where('ticket_id', '=', tk!.id).execute();
    expect(rows).toEqual([{ device_id: 'offline-1' }]);
  });

  it('offline rules use the scan time: a scan of a revoked ticket or from before check-in opened is refused', async () => {
    const s = await gateSetup(t);
    const b = await confirmedBooking(t.db, { eventId: s.event.id, items: [{ ticketTypeId: s.regular.id, quantity: 2 }] });
    await t.ctx.tickets.issueForBooking(b.id);
    const [one, two] = await ticketsOf(t, b.id);
    await t.ctx.tickets.revokeForBooking(b.id, { items: [{ ticketTypeId: s.regular.id, quantity: 1 }] });
    const revoked = (await ticketsOf(t, b.id)).find((x) => x.revoked_at)!;
    const valid = [one, two].find((x) => x!.id !== revoked.id)!;
    const list = await createList(t, s.owner.auth, s.event.id, { name: 'Main' });
    const tooEarly = new Date(s.event.starts_at.getTime() - 7 * 3600_000).toISOString();
    const res = await t.app.inject({
      method: 'POST', url: `/api/v1/checkin-lists/${list.id}/sync`, headers: s.gate.auth,
      payload: { deviceId: 'd', scans: [
        { payload: revoked.qr_payload, gate: 'A', scannedAt: new Date().toISOString(), localScanId: '1' },
        { payload: valid.qr_payload, gate: 'A', scannedAt: tooEarly, localScanId: '2' },
        { code: 'ZZZZZZZZ', gate: 'A', scannedAt: new Date().toISOString(), localScanId: '3' },
      ] },
    });
    expect(res.json().results.map((r: { code?: string }) => r.code)).toEqual(['revoked', 'not_yet_valid', 'unknown_ticket']);
    expect(res.json()).toMatchObject({ admitted: 0, rejected: 3, conflicts: [] });
  });
});
