import crypto from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import type { Actor } from '../../platform/actor.js';
import type { Db, Executor } from '../../platform/db/database.js';
import { isAppError } from '../../platform/errors.js';
import { uuidv7 } from '../../platform/ids.js';
import { ANY_ROLE, transact, type OrganizersService } from '../organizers/organizers.service.js';
import type { BookingsService } from '../bookings/bookings.service.js';
import type { NotificationsService } from '../notifications/notifications.service.js';
import { newTicketCode, formatTicketCode } from './tickets.codes.js';
import { ticketsErrors } from './tickets.errors.js';
import { renderTicketsPdf, qrPng, formatEventDate } from './tickets.pdf.js';
import { TicketsRepository, type IssuableBooking, type LiveTicket, type NewTicket, type TicketRow } from './tickets.repository.js';
import { generateEventKey, KeySealer, publicKeyFromRaw, signPayload, type EventKeyPair } from './tickets.signing.js';

export type TicketStatus = 'valid' | 'checked_in' | 'revoked';

export interface TicketView {
  id: string;
  code: string;
  ticketType: { id: string; name: string };
  holder: { name: string };
  status: TicketStatus;
  /** The signed QR payload (null once revoked). */
  qrPayload: string | null;
  checkedInAt: string | null;
  revokedAt: string | null;
  revokedReason: string | null;
}

export interface TicketKeyView {
  eventId: string;
  keyId: string;
  algorithm: 'Ed25519';
  /** Raw 32-byte public key, base64url. */
  publicKey: string;
  /** The same key as SPKI PEM. */
  publicKeyPem: string;
  payloadFormat: string;
}

export interface RevokeItem {
  ticketTypeId: string;
  quantity: number;
}

export interface TicketsDeps {
  db: Db;
  config: Config;
  log: Logger;
  organizers: OrganizersService;
  bookings: BookingsService;
  notifications: NotificationsService;
  /** Secret sealing event private keys (TICKET_KEY_SECRET, else the JWT secret). */
  keySecret: Uint8Array;
}

const LIVE_BOOKING = new Set(['confirmed', 'partially_refunded']);
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function toTicketView(t: TicketRow): TicketView {
  return {
    id: t.id,
    code: t.code,
    ticketType: { id: t.ticket_type_id, name: t.ticket_type_name },
    holder: { name: t.holder_name },
    status: t.revoked_at ? 'revoked' : t.checked_in_at ? 'checked_in' : 'valid',
    qrPayload: t.revoked_at ? null : t.qr_payload,
    checkedInAt: t.checked_in_at ? new Date(t.checked_in_at).toISOString() : null,
    revokedAt: t.revoked_at?.toISOString() ?? null,
    revokedReason: t.revoked_reason,
  };
}

/**
 * Tickets: issuance on confirmation (idempotent), signed QR payloads with a key pair per event,
 * revocation on refund/cancellation, the buyer's JSON/PNG/PDF, and the tickets email.
 *
 * Ordering of locks (deadlock-free with payments and refunds): the booking row first
 * (FOR UPDATE, as they do), then the booking's tickets, then the event's key row (sync version) last.
 */
export class TicketsService {
  readonly repo: TicketsRepository;
  private readonly sealer: KeySealer;
  private readonly signingKeys = new Map<string, Promise<EventKeyPair>>();
  private readonly verifyKeys = new Map<string, Promise<{ eventId: string; publicKey: crypto.KeyObject } | null>>();

  constructor(private readonly d: TicketsDeps) {
    this.repo = new TicketsRepository(d.db);
    this.sealer = new KeySealer(d.keySecret);
  }

  // ---- keys ----

  /** The event's signing key, generated and stored on first need (committed before any use). */
  signingKey(eventId: string): Promise<EventKeyPair> {
    let p = this.signingKeys.get(eventId);
    if (!p) {
      p = this.loadOrCreateKey(eventId);
      this.signingKeys.set(eventId, p);
      p.catch(() => this.signingKeys.delete(eventId));
    }
    return p;
  }

  private async loadOrCreateKey(eventId: string): Promise<EventKeyPair> {
    let row = await this.repo.findEventKey(eventId);
    if (!row) {
      const k = generateEventKey();
      await this.repo.insertEventKey(this.d.db, { event_id: eventId, key_id: k.keyId, public_key: k.publicKeyRaw, private_key_enc: this.sealer.seal(eventId, k.privateKey) });
      row = await this.repo.findEventKey(eventId);
      if (!row) throw new Error(`event ${eventId}: ticket key not stored`);
      if (row.key_id !== k.keyId) this.d.log.debug({ eventId }, 'another process created the event key first');
    }
    const publicKey = publicKeyFromRaw(row.public_key);
    return { keyId: row.key_id, publicKeyRaw: row.public_key, publicKey, privateKey: this.sealer.open(eventId, row.private_key_enc) };
  }

  /** A public key by its id (what a payload names), cached: keys never change. */
  verifyKey(keyId: string): Promise<{ eventId: string; publicKey: crypto.KeyObject } | null> {
    let p = this.verifyKeys.get(keyId);
    if (!p) {
      p = this.repo.findEventKeyById(keyId).then((row) => (row ? { eventId: row.event_id, publicKey: publicKeyFromRaw(row.public_key) } : null));
      this.verifyKeys.set(keyId, p);
      // Unknown ids are not cached for long: the key may be created a moment later.
      p.then((v) => { if (!v) setTimeout(() => this.verifyKeys.delete(keyId), 1000).unref(); }, () => this.verifyKeys.delete(keyId));
      if (this.verifyKeys.size > 100_000) this.verifyKeys.clear();
    }
    return p;
  }

  /** Gate staff (any member role) and admins: the event's public key, for offline verification. */
  async publicKeyOf(actor: Actor, eventId: string): Promise<TicketKeyView> {
    const event = await this.repo.findEvent(eventId);
    if (!event) throw ticketsErrors.eventNotFound(eventId);
    await this.d.organizers.requireRole(actor, event.organizer_id, ANY_ROLE, () => ticketsErrors.eventNotFound(eventId));
    const k = await this.signingKey(eventId);
    return {
      eventId,
      keyId: k.keyId,
      algorithm: 'Ed25519',
      publicKey: k.publicKeyRaw.toString('base64url'),
      publicKeyPem: k.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
      payloadFormat: 'TK1.<base64url(ticketId[16] | eventId[16] | ticketTypeId[16] | keyId[8])>.<base64url(Ed25519 signature over "TK1" | body)>',
    };
  }

  // ---- issuance and revocation ----

  /**
   * Issue the booking's tickets: one per admission (hold quantity), idempotent — unique (hold_id,
   * seq) means a re-processed confirmation issues nothing new. Only a confirmed (or partially
   * refunded) booking of a live event gets tickets; admissions already refunded are revoked at once
   * (a refund may land before the confirmation job runs). New tickets enqueue the email, in the
   * same transaction. Pass `tx` to run inside the caller's transaction.
   */
  async issueForBooking(bookingId: string, tx?: Executor): Promise<{ issued: number; revoked: number }> {
    const booking = await this.repo.findBookingEmail(bookingId, tx);
    if (!booking) throw ticketsErrors.bookingNotFound(bookingId);
    const key = await this.signingKey(booking.event_id);
    const result = await transact(tx ?? this.d.db, async (t) => {
      const b = await this.repo.lockBooking(t, bookingId);
      if (!b) throw ticketsErrors.bookingNotFound(bookingId);
      const version = lazyVersion(() => this.repo.bumpSyncVersion(t, b.event_id));
      let issued = 0;
      if (LIVE_BOOKING.has(b.status) && b.event_status !== 'cancelled') {
        const holds = await this.repo.findHolds(t, bookingId);
        // Codes are random: a rare collision skips that row (ON CONFLICT DO NOTHING); the next round fills it.
        for (let round = 0; ; round++) {
          const have = await this.repo.findIssuedSeqs(t, bookingId);
          const rows: NewTicket[] = [];
          for (const h of holds) {
            for (let seq = 1; seq <= h.quantity; seq++) {
              if (have.has(`${h.id}:${seq}`)) continue;
              const id = uuidv7();
              rows.push({
                id, event_id: b.event_id, booking_id: b.id, hold_id: h.id, ticket_type_id: h.ticket_type_id, seq, code: newTicketCode(),
                holder_name: b.buyer_name, key_id: key.keyId, sync_version: 0,
                qr_payload: signPayload({ ticketId: id, eventId: b.event_id, ticketTypeId: h.ticket_type_id, keyId: key.keyId }, key.privateKey),
              });
            }
          }
          if (rows.length === 0) break;
          if (round >= 5) throw new Error(`booking ${bookingId}: could not issue ${rows.length} tickets after ${round} rounds`);
          const v = await version();
          issued += await this.repo.insertTickets(t, rows.map((r) => ({ ...r, sync_version: v })));
        }
      }
      const revoked = await this.revokeIn(t, b, undefined, version);
      if (issued > 0) await this.repo.enqueueTicketsEmail(t, bookingId, this.d.config.TICKET_EMAIL_MAX_ATTEMPTS);
      return { issued, revoked };
    });
    if (result.issued || result.revoked) this.d.log.info({ bookingId, ...result }, 'tickets issued');
    return result;
  }

  /**
   * Revoke refunded or cancelled tickets. Without items it reconciles with the booking (idempotent,
   * the call to make from refunds): a hold keeps `quantity - refunded_quantity` valid tickets while
   * the booking is confirmed or partially refunded and the event not cancelled, none otherwise.
   * With items it revokes that many of each ticket type. Either way it picks deterministically:
   * tickets not yet checked in first, then the highest sequence number.
   */
  async revokeForBooking(bookingId: string, o: { items?: RevokeItem[]; reason?: string } = {}, tx?: Executor): Promise<{ revoked: number }> {
    const revoked = await transact(tx ?? this.d.db, async (t) => {
      const b = await this.repo.lockBooking(t, bookingId);
      if (!b) throw ticketsErrors.bookingNotFound(bookingId);
      return this.revokeIn(t, b, o, lazyVersion(() => this.repo.bumpSyncVersion(t, b.event_id)));
    });
    if (revoked) this.d.log.info({ bookingId, revoked }, 'tickets revoked');
    return { revoked };
  }

  private async revokeIn(tx: Executor, b: IssuableBooking, o: { items?: RevokeItem[]; reason?: string } | undefined, version: () => Promise<number>): Promise<number> {
    const live = await this.repo.lockLiveTickets(tx, b.id);
    if (live.length === 0) return 0;
    const order = (x: LiveTicket, y: LiveTicket) => Number(x.checked_in) - Number(y.checked_in) || y.seq - x.seq || cmp(y.hold_id, x.hold_id);
    const chosen: string[] = [];
    if (o?.items) {
      for (const item of o.items) {
        const mine = live.filter((t) => t.ticket_type_id === item.ticketTypeId).sort(order);
        chosen.push(...mine.slice(0, Math.max(0, item.quantity)).map((t) => t.id));
      }
    } else {
      const keep = LIVE_BOOKING.has(b.status) && b.event_status !== 'cancelled';
      const holds = await this.repo.findHolds(tx, b.id);
      for (const h of holds) {
        const mine = live.filter((t) => t.hold_id === h.id).sort(order);
        const surplus = mine.length - (keep ? Math.max(0, h.quantity - h.refunded_quantity) : 0);
        if (surplus > 0) chosen.push(...mine.slice(0, surplus).map((t) => t.id));
      }
    }
    if (chosen.length === 0) return 0;
    const reason = o?.reason ?? (b.event_status === 'cancelled' ? 'event_cancelled' : b.status === 'cancelled' ? 'booking_cancelled' : 'refunded');
    return this.repo.revokeTickets(tx, chosen, reason, await version());
  }

  // ---- the buyer's tickets ----

  /** The buyer (signed in or with the booking token), the organizer's members, admins: the booking's tickets. */
  async listForBooking(actor: Actor | null, bookingId: string, token?: string): Promise<{ bookingId: string; bookingStatus: string; tickets: TicketView[] }> {
    const booking = await this.d.bookings.get(actor, bookingId, token);
    const rows = await this.repo.findByBooking(bookingId);
    return { bookingId, bookingStatus: booking.status, tickets: rows.map(toTicketView) };
  }

  async qrPngOf(actor: Actor | null, ticketId: string, token?: string): Promise<Buffer> {
    const t = await this.repo.findById(ticketId);
    if (!t) throw ticketsErrors.ticketNotFound(ticketId);
    try {
      await this.d.bookings.get(actor, t.booking_id, token);
    } catch (e) {
      if (isAppError(e) && e.status === 404) throw ticketsErrors.ticketNotFound(ticketId);
      throw e;
    }
    if (t.revoked_at) throw ticketsErrors.ticketRevoked(ticketId, t.revoked_reason);
    return qrPng(t.qr_payload);
  }

  async pdfOf(actor: Actor | null, bookingId: string, token?: string): Promise<Buffer> {
    const booking = await this.d.bookings.get(actor, bookingId, token);
    const pdf = await this.renderPdf(bookingId);
    if (!pdf) throw ticketsErrors.ticketsNotIssued(bookingId, booking.status);
    return pdf.pdf;
  }

  /** The PDF of the booking's valid tickets, or null when it has none. */
  async renderPdf(bookingId: string): Promise<{ pdf: Buffer; eventName: string; eventDate: string; count: number } | null> {
    const rows = (await this.repo.findByBooking(bookingId)).filter((t) => !t.revoked_at);
    if (rows.length === 0) return null;
    const event = (await this.repo.findEvent(rows[0]!.event_id))!;
    const printable = { name: event.name, venueName: event.venue_name, venueCity: event.venue_city, venueTimezone: event.venue_timezone, startsAt: event.starts_at, endsAt: event.ends_at };
    const pdf = await renderTicketsPdf(
      printable,
      bookingId,
      rows.map((t) => ({ id: t.id, code: t.code, ticketTypeName: t.ticket_type_name, holderName: t.holder_name, qrPayload: t.qr_payload })),
    );
    return { pdf, eventName: event.name, eventDate: formatEventDate(event.starts_at, event.ends_at, event.venue_timezone), count: rows.length };
  }

  // ---- email ----

  /** The buyer or the organizer's members: send the tickets again (a job; a waiting one is replaced). */
  async resend(actor: Actor | null, bookingId: string, token?: string): Promise<{ bookingId: string; queued: true; tickets: number }> {
    const booking = await this.d.bookings.get(actor, bookingId, token);
    const valid = (await this.repo.findByBooking(bookingId)).filter((t) => !t.revoked_at).length;
    if (valid === 0) throw ticketsErrors.ticketsNotIssued(bookingId, booking.status);
    await this.repo.enqueueTicketsEmail(this.d.db, bookingId, this.d.config.TICKET_EMAIL_MAX_ATTEMPTS);
    this.d.log.info({ bookingId, by: actor?.userId ?? 'booking token' }, 'tickets email re-queued');
    return { bookingId, queued: true, tickets: valid };
  }

  /** The `send_tickets_email` job: the booking's valid tickets as a PDF attachment. Outside any transaction. */
  async sendTicketsEmail(bookingId: string): Promise<{ sent: boolean; file?: string }> {
    const booking = await this.repo.findBookingEmail(bookingId);
    if (!booking) return { sent: false };
    const rendered = await this.renderPdf(bookingId);
    if (!rendered) {
      this.d.log.info({ bookingId }, 'tickets email skipped: no valid tickets');
      return { sent: false };
    }
    const codes = (await this.repo.findByBooking(bookingId)).filter((t) => !t.revoked_at).map((t) => `${formatTicketCode(t.code)} (${t.ticket_type_name})`);
    const text = [
      `Hello ${booking.buyer_name},`,
      '',
      `Your ${rendered.count === 1 ? 'ticket' : `${rendered.count} tickets`} for ${rendered.eventName} (${rendered.eventDate}) ${rendered.count === 1 ? 'is' : 'are'} attached as a PDF.`,
      'Show the QR code of each ticket at the gate; each admits one person once.',
      '',
      ...codes.map((c) => `  • ${c}`),
      '',
      `Booking ${bookingId}`,
    ].join('\n');
    const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
    const html = `<p>Hello ${esc(booking.buyer_name)},</p><p>Your tickets for <b>${esc(rendered.eventName)}</b> (${esc(rendered.eventDate)}) are attached as a PDF. Show the QR code of each ticket at the gate; each admits one person once.</p><ul>${codes.map((c) => `<li>${esc(c)}</li>`).join('')}</ul><p style="color:#666">Booking ${bookingId}</p>`;
    const sent = await this.d.notifications.sendEmail({
      to: booking.buyer_email,
      subject: `Your tickets: ${rendered.eventName}`,
      text,
      html,
      attachments: [{ filename: `tickets-${bookingId.slice(0, 8)}.pdf`, content: rendered.pdf, contentType: 'application/pdf' }],
    });
    return { sent: true, file: sent.file };
  }
}

/** The event's next sync version, taken at most once per transaction and only when something changes. */
function lazyVersion(bump: () => Promise<number>): () => Promise<number> {
  let v: Promise<number> | undefined;
  return () => (v ??= bump());
}
