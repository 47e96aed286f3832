import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../helpers/testApp.js';
import { formatEventDate } from '../../src/modules/tickets/tickets.pdf.js';
import { confirmedBooking, gateSetup, ticketsOf } from './support.js';

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(async () => {
  await t?.close();
});

const has = (bin: string) => {
  try {
    execFileSync(bin, [bin === 'zbarimg' ? '--version' : '-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

describe('dates in the venue’s time zone', () => {
  it('formats the start and end where the event happens, not where the server runs', () => {
    const start = new Date('2030-06-14T17:00:00Z');
    expect(formatEventDate(start, new Date('2030-06-14T20:00:00Z'), 'America/New_York')).toBe('Friday, 14 June 2030, 13:00 – 16:00 (America/New_York)');
    expect(formatEventDate(start, new Date('2030-06-15T01:30:00Z'), 'Africa/Kigali')).toBe('Friday, 14 June 2030, 19:00 – Saturday, 15 June 2030, 03:30 (Africa/Kigali)');
  });
});

describe('the PDF of a booking’s tickets', () => {
  it('has one page per valid ticket with event, venue, local date, ticket type, holder, code and a QR', async () => {
    const s = await gateSetup(t, { startsAt: new Date('2030-06-14T17:00:00Z'), timezone: 'America/New_York' });
    const b = await confirmedBooking(t.db, { eventId: s.event.id, buyerName: 'Jean-Paul Habimana', items: [{ ticketTypeId: s.regular.id, quantity: 2 }, { ticketTypeId: s.vip.id, quantity: 1 }] });
    await t.ctx.tickets.issueForBooking(b.id);
    const codes = (await ticketsOf(t, b.id)).map((x) => `${x.code.slice(0, 4)}-${x.code.slice(4)}`);

    const res = await t.app.inject({ url: `/api/v1/bookings/${b.id}/tickets.pdf`, headers: b.tokenHeader });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    const pdf = res.rawPayload;
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.toString('latin1').match(/\/Type \/Page\b/g)).toHaveLength(3);
    // Each page embeds an image (the QR).
    expect((pdf.toString('latin1').match(/\/Subtype \/Image/g) ?? []).length).toBeGreaterThanOrEqual(3);

    if (has('pdftotext')) {
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tikiti-pdf-')), 'tickets.pdf');
      fs.writeFileSync(file, pdf);
      const pages = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' }).split('\f').filter((p) => p.trim());
      expect(pages).toHaveLength(3);
      for (const page of pages) {
        expect(page).toContain(s.event.name);
        expect(page).toContain(`${s.venue.name}, Kigali`);
        expect(page).toContain('Friday, 14 June 2030, 13:00 – 16:00 (America/New_York)');
        expect(page).toContain('Jean-Paul Habimana');
      }
      expect(pages.map((p) => codes.find((c) => p.includes(c)))).toEqual(codes);
      expect(pages.filter((p) => /TICKET TYPE\s+Regular/.test(p))).toHaveLength(2);
      expect(pages.filter((p) => /TICKET TYPE\s+VIP/.test(p))).toHaveLength(1);
      // The printed QR decodes to the ticket's signed payload (when zbar-tools is installed).
      if (has('pdftoppm') && has('zbarimg')) {
        execFileSync('pdftoppm', ['-png', '-r', '150', '-f', '1', '-l', '1', file, path.join(path.dirname(file), 'page')]);
        const png = fs.readdirSync(path.dirname(file)).find((f) => f.startsWith('page') && f.endsWith('.png'))!;
        const decoded = execFileSync('zbarimg', ['-q', '--raw', path.join(path.dirname(file), png)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
        expect(decoded).toBe((await ticketsOf(t, b.id))[0]!.qr_payload);
      }
    }
  });
});
