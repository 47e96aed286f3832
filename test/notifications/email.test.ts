import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../helpers/testApp.js';
import { taskList, TASKS } from '../../src/platform/jobs/tasks.js';
import { confirmedBooking, gateSetup, newKey, queuedJobs, ticketsOf } from '../tickets/support.js';

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(async () => {
  await t?.close();
});

const helpers = { logger: { error: () => {}, info: () => {} }, addJob: async () => ({}) } as never;
const mailDir = () => path.join(t.config.dataDir, 'mail');
const emls = () => (fs.existsSync(mailDir()) ? fs.readdirSync(mailDir()).filter((f) => f.endsWith('.eml')) : []);

describe('the tickets email', () => {
  it('without SMTP, is written as an .eml file in <data>/mail with the tickets PDF attached', async () => {
    expect(t.ctx.notifications.mailer.kind).toBe('file');
    const s = await gateSetup(t);
    const b = await confirmedBooking(t.db, { eventId: s.event.id, email: 'aline.uwase@example.test', items: [{ ticketTypeId: s.regular.id, quantity: 2 }] });
    await t.ctx.tickets.issueForBooking(b.id);
    const before = new Set(emls());
    await taskList(t.ctx)[TASKS.sendTicketsEmail]!({ bookingId: b.id }, helpers);
    const added = emls().filter((f) => !before.has(f));
    expect(added).toHaveLength(1);
    const eml = fs.readFileSync(path.join(mailDir(), added[0]!), 'utf8');
    expect(eml).toMatch(/^To: aline\.uwase@example\.test$/m);
    expect(eml).toMatch(/^From: Tikiti <tickets@tikiti\.local>$/m);
    expect(eml).toMatch(/^Subject: Your tickets: /m);
    expect(eml).toMatch(/Content-Type: application\/pdf; name=tickets-[0-9a-f]{8}\.pdf/);
    expect(eml).toMatch(/Content-Disposition: attachment; filename=tickets-[0-9a-f]{8}\.pdf/);
    // The attachment is the PDF (base64 of "%PDF-" starts with JVBERi0).
    expect(eml).toContain('JVBERi0');
    for (const tk of await ticketsOf(t, b.id)) expect(eml).toContain(`${tk.code.slice(0, 4)}-${tk.code.slice(4)}`);
  });

  it('a booking with no valid tickets sends nothing; a bad payload is dropped', async () => {
    const s = await gateSetup(t);
    const b = await confirmedBooking(t.db, { eventId: s.event.id, items: [{ ticketTypeId: s.regular.id, quantity: 1 }], status: 'pending' });
    const before = emls().length;
    await taskList(t.ctx)[TASKS.sendTicketsEmail]!({ bookingId: b.id }, helpers);
    await taskList(t.ctx)[TASKS.sendTicketsEmail]!({ nope: 1 }, helpers);
    expect(emls().length).toBe(before);
  });

  it('the buyer or an organizer member resends it (Idempotency-Key required); others cannot', async () => {
    const s = await gateSetup(t);
    const b = await confirmedBooking(t.db, { eventId: s.event.id, items: [{ ticketTypeId: s.regular.id, quantity: 1 }] });
    const url = `/api/v1/bookings/${b.id}/tickets/resend`;
    // Not issued yet: nothing to send.
    const early = await t.app.inject({ method: 'POST', url, headers: { ...b.tokenHeader, 'idempotency-key': newKey() } });
    expect(early.statusCode).toBe(409);
    expect(early.json().code).toBe('tickets_not_issued');

    await t.ctx.tickets.issueForBooking(b.id);
    await t.db.deleteFrom('graphile_worker._private_jobs' as never).where('key' as never, '=', `tickets-email:${b.id}` as never).execute();
    expect((await t.app.inject({ method: 'POST', url, headers: b.tokenHeader })).json().code).toBe('idempotency_key_required');
    const key = newKey();
    const ok = await t.app.inject({ method: 'POST', url, headers: { ...b.tokenHeader, 'idempotency-key': key } });
    expect(ok.statusCode).toBe(202);
    expect(ok.json()).toEqual({ bookingId: b.id, queued: true, tickets: 1 });
    const replay = await t.app.inject({ method: 'POST', url, headers: { ...b.tokenHeader, 'idempotency-key': key } });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect((await t.app.inject({ method: 'POST', url, headers: { ...s.gate.auth, 'idempotency-key': newKey() } })).statusCode).toBe(202);
    // Keyed per booking: the resends replace each other.
    expect(await queuedJobs(t.db, TASKS.sendTicketsEmail, `tickets-email:${b.id}`)).toBe(1);

    const stranger = await s.make.user();
    expect((await t.app.inject({ method: 'POST', url, headers: { ...stranger.auth, 'idempotency-key': newKey() } })).statusCode).toBe(404);
  });
});
