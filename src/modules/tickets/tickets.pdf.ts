import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';
import { formatTicketCode } from './tickets.codes.js';

export interface PrintableTicket {
  id: string;
  code: string;
  ticketTypeName: string;
  holderName: string;
  qrPayload: string;
}

export interface PrintableEvent {
  name: string;
  venueName: string;
  venueCity: string;
  venueTimezone: string;
  startsAt: Date;
  endsAt: Date;
}

/** "Saturday, 14 June 2025, 19:00 – 22:00 (Africa/Kigali)": in the venue's time zone, never the server's. */
export function formatEventDate(startsAt: Date, endsAt: Date, timeZone: string): string {
  const day = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
  const time = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const sameDay = day.format(startsAt) === day.format(endsAt);
  const end = sameDay ? time.format(endsAt) : `${day.format(endsAt)}, ${time.format(endsAt)}`;
  return `${day.format(startsAt)}, ${time.format(startsAt)} – ${end} (${timeZone})`;
}

export function qrPng(payload: string, width = 600): Promise<Buffer> {
  return QRCode.toBuffer(payload, { errorCorrectionLevel: 'M', margin: 2, width, type: 'png' });
}

/** The booking's tickets as a PDF: one A5 page per ticket (event, venue, date, type, holder, code, QR). */
export async function renderTicketsPdf(event: PrintableEvent, bookingId: string, tickets: PrintableTicket[]): Promise<Buffer> {
  const qrs = await Promise.all(tickets.map((t) => qrPng(t.qrPayload)));
  const doc = new PDFDocument({ size: 'A5', margin: 36, autoFirstPage: false, info: { Title: `Tickets – ${event.name}`, Author: 'Tikiti' } });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const date = formatEventDate(event.startsAt, event.endsAt, event.venueTimezone);
  tickets.forEach((t, i) => {
    doc.addPage();
    const w = doc.page.width - 72;
    doc.rect(0, 0, doc.page.width, 8).fill('#1f6feb');
    doc.fillColor('#000').font('Helvetica-Bold').fontSize(20).text(event.name, 36, 30, { width: w });
    doc.moveDown(0.3).font('Helvetica').fontSize(11).fillColor('#333');
    doc.text(`${event.venueName}, ${event.venueCity}`, { width: w });
    doc.text(date, { width: w });
    doc.moveDown(0.8).fillColor('#000');
    const row = (label: string, value: string) => {
      doc.font('Helvetica').fontSize(8).fillColor('#666').text(label.toUpperCase(), { width: w });
      doc.font('Helvetica-Bold').fontSize(13).fillColor('#000').text(value, { width: w });
      doc.moveDown(0.4);
    };
    row('Ticket type', t.ticketTypeName);
    row('Holder', t.holderName);
    row('Code', formatTicketCode(t.code));
    const size = 220;
    const y = doc.y + 6;
    doc.image(qrs[i]!, (doc.page.width - size) / 2, y, { width: size, height: size });
    doc.y = y + size + 8;
    doc.font('Helvetica').fontSize(8).fillColor('#444');
    doc.text(`Ticket ${i + 1} of ${tickets.length} · booking ${bookingId}`, 36, doc.y, { width: w, align: 'center' });
    doc.text('Show this QR code at the gate. Valid for one admission; do not share it.', { width: w, align: 'center' });
  });
  doc.end();
  return done;
}
