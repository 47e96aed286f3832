import type { AuditService } from '../audit/audit.service.js';
import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import type { Actor } from '../../platform/actor.js';
import { withRetry, type Db } from '../../platform/db/database.js';
import { Coalescer } from '../../platform/coalescer.js';
import { uuidv7 } from '../../platform/ids.js';
import type { FieldError } from '../../platform/errors.js';
import { ANY_ROLE, MANAGER_ROLES, type OrganizersService } from '../organizers/organizers.service.js';
import { normalizeTicketCode } from './tickets.codes.js';
import { ticketsErrors } from './tickets.errors.js';
import type { CheckinListRow, CheckinRow, ScanInput, ScanRow, TicketsRepository, Window } from './tickets.repository.js';
import type { TicketsService } from './tickets.service.js';
import { decodePayload, verifyDecoded } from './tickets.signing.js';

/**
 * Refusal codes of a scan (pretix's vocabulary). A scan is answered 200 with
 * `result: 'admitted'` or `result: 'rejected'` + one of these: the request worked, the ticket did not.
 */
export const SCAN_CODES = [
  'already_redeemed', 'invalid_signature', 'unknown_ticket', 'wrong_event', 'not_in_list', 'revoked', 'not_yet_valid', 'expired', 'event_cancelled',
] as const;
export type ScanCode = (typeof SCAN_CODES)[number];

const MESSAGES: Record<ScanCode, string> = {
  already_redeemed: 'This ticket already got in on this list.',
  invalid_signature: 'The QR code is not a ticket signed for this system (forged, altered or damaged).',
  unknown_ticket: 'No ticket has this code.',
  wrong_event: 'This ticket is for another event.',
  not_in_list: 'This ticket type is not admitted through this check-in list.',
  revoked: 'This ticket was revoked (refunded or cancelled).',
  not_yet_valid: 'Check-in for this event has not opened yet.',
  expired: 'Check-in for this event has closed.',
  event_cancelled: 'This event is cancelled.',
};

export interface Admission {
  scannedAt: string;
  gate: string;
  deviceId: string;
  offline: boolean;
}

export interface ScanResult {
  result: 'admitted' | 'rejected';
  code?: ScanCode;
  message: string;
  ticket?: { id: string; code: string; ticketType: { id: string; name: string }; holder: { name: string } };
  /** The ticket's admission on this list: this scan when admitted, the first one when already_redeemed. */
  admission?: Admission;
  /** A retried scan (same deviceId + scanId) that had already admitted the ticket. */
  replayed?: boolean;
}

export interface CheckinListView {
  id: string;
  eventId: string;
  name: string;
  ticketTypeIds: string[];
  gates: string[];
  createdAt: string;
  updatedAt: string;
}

export interface ScanRequest {
  payload?: string;
  code?: string;
  gate: string;
  deviceId: string;
  scanId?: string;
}

export interface OfflineScan {
  payload?: string;
  code?: string;
  gate: string;
  scannedAt: string;
  localScanId: string;
}

export interface SyncScanResult extends ScanResult {
  localScanId: string;
}

export interface SyncConflict {
  ticketId: string;
  /** The scan that got the admission (earliest scannedAt; ties: deviceId, then scan id). */
  admission: Admission & { localScanId: string | null };
  /** The scan that let the ticket in again, which is now the conflict. */
  conflicting: Admission & { localScanId: string };
}

const FUTURE_SKEW_MS = 5 * 60_000;
const CACHE_MS = 5000;

const toListView = (l: CheckinListRow): CheckinListView => ({
  id: l.id, eventId: l.event_id, name: l.name, ticketTypeIds: l.ticket_type_ids, gates: l.gates,
  createdAt: l.created_at.toISOString(), updatedAt: l.updated_at.toISOString(),
});
const admissionOf = (c: CheckinRow): Admission => ({ scannedAt: c.scanned_at.toISOString(), gate: c.gate, deviceId: c.device_id, offline: c.offline });
const ticketOf = (t: Pick<ScanRow, 'id' | 'code' | 'ticket_type_id' | 'ticket_type_name' | 'holder_name'>) => ({
  id: t.id, code: t.code, ticketType: { id: t.ticket_type_id, name: t.ticket_type_name }, holder: { name: t.holder_name },
});
const rejected = (code: ScanCode, extra: Partial<ScanResult> = {}): ScanResult => ({ result: 'rejected', code, message: MESSAGES[code], ...extra });
/** Total order of scans: earliest first, then device id, then scan id. */
const earlier = (a: { at: number; device: string; scan: string }, b: { at: number; device: string; scan: string }) =>
  a.at !== b.at ? a.at < b.at : a.device !== b.device ? a.device < b.device : a.scan < b.scan;

/** Cursor of the offline download: the last (sync version, ticket id) a device has. */
export function encodeCursor(version: number, id: string): string {
  return Buffer.from(`${version}.${id}`).toString('base64url');
}
export function decodeCursor(cursor: string): { version: number; id: string } | null {
  const m = /^(\d{1,15})\.([0-9a-f-]{36})$/.exec(Buffer.from(cursor, 'base64url').toString());
  return m ? { version: Number(m[1]), id: m[2]! } : null;
}
const START = { version: -1, id: '00000000-0000-0000-0000-000000000000' };

/**
 * Check-in lists and scans.
 *
 * - Lists: owners/managers create and edit them (ticket types — empty means all — and gates);
 *   every member of the organizer (gate role included) reads them and scans on ANY list of the
 *   organizer's events: the gate role is the access. No per-list assignment.
 * - A ticket gets in once PER LIST (unique (ticket, list)); a second list for the same ticket types
 *   (e.g. a VIP lounge) admits it once more. Two gates on one list share the one admission.
 * - Online: one conditional INSERT … ON CONFLICT DO NOTHING decides (TicketsRepository.admitBatch;
 *   concurrent scans are coalesced into one such statement).
 * - Offline: a device downloads the list's tickets and revocations (cursor on the event's sync
 *   version) and later uploads its scans; each (ticket, list) ends with one admission — the
 *   earliest scan — and every other scan that let the ticket in is a reported conflict.
 */
export class CheckinService {
  private readonly lists = new Map<string, { at: number; list: Promise<CheckinListRow | undefined> }>();
  private readonly roles = new Map<string, { at: number; role: Promise<string | undefined> }>();
  /** Online scans arriving together share one statement and one commit (group commit). */
  private readonly admissions: Coalescer<Parameters<TicketsRepository['admitBatch']>[0][number], ScanRow | undefined>;

  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly log: Logger,
    private readonly organizers: OrganizersService,
    private readonly tickets: TicketsService,
    private readonly audit: AuditService,
  ) {
    this.admissions = new Coalescer((batch) => withRetry(() => this.repo.admitBatch(batch, this.window)), { maxBatch: 256, maxWaitMs: 0, maxInFlight: 4 });
  }

  private get repo(): TicketsRepository {
    return this.tickets.repo;
  }

  private get window(): Window {
    return { opensMinutesBefore: this.config.CHECKIN_OPENS_MINUTES_BEFORE, closesMinutesAfter: this.config.CHECKIN_CLOSES_MINUTES_AFTER };
  }

  // ---- lists ----

  private async checkTicketTypes(eventId: string, ids: string[] | undefined, field = 'ticketTypeIds'): Promise<string[] | undefined> {
    if (ids === undefined) return undefined;
    const mine = await this.repo.findTicketTypeIds(eventId);
    const errs: FieldError[] = [];
    ids.forEach((id, i) => { if (!mine.has(id)) errs.push({ field: `${field}.${i}`, message: 'is not a ticket type of this event' }); });
    if (errs.length) throw ticketsErrors.invalid(errs, 'The check-in list is invalid.');
    return [...new Set(ids)].sort();
  }

  private static cleanGates(gates: string[] | undefined): string[] | undefined {
    if (gates === undefined) return undefined;
    const out = [...new Set(gates.map((g) => g.trim()))];
    if (out.some((g) => !g)) throw ticketsErrors.invalid([{ field: 'gates', message: 'gate names must not be blank' }]);
    return out;
  }

  async createList(actor: Actor, eventId: string, input: { name: string; ticketTypeIds?: string[]; gates?: string[] }): Promise<CheckinListView> {
    const event = await this.repo.findEvent(eventId);
    if (!event) throw ticketsErrors.eventNotFound(eventId);
    await this.organizers.requireRole(actor, event.organizer_id, MANAGER_ROLES, () => ticketsErrors.eventNotFound(eventId));
    const name = input.name.trim();
    if (!name) throw ticketsErrors.invalid([{ field: 'name', message: 'must not be blank' }]);
    const ticketTypeIds = (await this.checkTicketTypes(eventId, input.ticketTypeIds)) ?? [];
    const gates = CheckinService.cleanGates(input.gates) ?? [];
    const row = await this.db.transaction().execute(async (tx) => {
      const list = await this.repo.insertList({ eventId, name, ticketTypeIds, gates }, tx);
      await this.audit.record(tx, {
        actor,
        action: 'checkin_list.created',
        organizerId: event.organizer_id,
        target: { type: 'checkin_list', id: list.id },
        after: { eventId, name, ticketTypeIds, gates },
      });
      return list;
    });
    this.log.info({ checkinListId: row.id, eventId, by: actor.userId }, 'check-in list created');
    return toListView(row);
  }

  async listLists(actor: Actor, eventId: string): Promise<CheckinListView[]> {
    const event = await this.repo.findEvent(eventId);
    if (!event) throw ticketsErrors.eventNotFound(eventId);
    await this.organizers.requireRole(actor, event.organizer_id, ANY_ROLE, () => ticketsErrors.eventNotFound(eventId));
    return (await this.repo.listByEvent(eventId)).map(toListView);
  }

  /** The list, if the caller is an admin or a member with one of `roles` (else 404 / 403). Fresh read. */
  private async listFor(actor: Actor, id: string, roles = ANY_ROLE): Promise<CheckinListRow> {
    const list = await this.repo.findList(id);
    if (!list) throw ticketsErrors.checkinListNotFound(id);
    await this.organizers.requireRole(actor, list.organizer_id, roles, () => ticketsErrors.checkinListNotFound(id));
    return list;
  }

  async getList(actor: Actor, id: string): Promise<CheckinListView> {
    return toListView(await this.listFor(actor, id));
  }

  async updateList(actor: Actor, id: string, patch: { name?: string; ticketTypeIds?: string[]; gates?: string[] }): Promise<CheckinListView> {
    const list = await this.listFor(actor, id, MANAGER_ROLES);
    const name = patch.name?.trim();
    if (name !== undefined && !name) throw ticketsErrors.invalid([{ field: 'name', message: 'must not be blank' }]);
    const row = await this.repo.updateList(id, {
      name,
      ticketTypeIds: await this.checkTicketTypes(list.event_id, patch.ticketTypeIds),
      gates: CheckinService.cleanGates(patch.gates),
    });
    if (!row) throw ticketsErrors.checkinListNotFound(id);
    this.lists.delete(id);
    return toListView(row);
  }

  // ---- scanning ----

  /**
   * The hot path's access check, cached a few seconds per process: the list's organizer never
   * changes; a membership change takes effect within CACHE_MS.
   */
  private async scanAccess(actor: Actor, listId: string): Promise<CheckinListRow> {
    const now = Date.now();
    let l = this.lists.get(listId);
    if (!l || now - l.at > CACHE_MS) {
      l = { at: now, list: this.repo.findList(listId) };
      this.lists.set(listId, l);
      l.list.catch(() => this.lists.delete(listId));
      if (this.lists.size > 10_000) this.lists.clear();
    }
    const list = await l.list;
    if (!list) throw ticketsErrors.checkinListNotFound(listId);
    if (actor.isAdmin) return list;
    const key = `${actor.userId}:${list.organizer_id}`;
    let r = this.roles.get(key);
    if (!r || now - r.at > CACHE_MS) {
      r = { at: now, role: this.organizers.accessOf(actor, list.organizer_id).then((a) => a ?? undefined) };
      this.roles.set(key, r);
      r.role.catch(() => this.roles.delete(key));
      if (this.roles.size > 100_000) this.roles.clear();
    }
    if (!(await r.role)) throw ticketsErrors.checkinListNotFound(listId);
    return list;
  }

  private static checkGate(list: CheckinListRow, gate: string, field: string) {
    if (list.gates.length > 0 && !list.gates.includes(gate)) {
      throw ticketsErrors.invalid([{ field, message: `must be one of this list's gates: ${list.gates.join(', ')}` }]);
    }
  }

  /** What a scanned string names: a verified ticket id, a code, or a refusal. */
  private async resolve(input: { payload?: string; code?: string }): Promise<{ ticketId: string } | { code: string } | ScanCode> {
    if (input.payload !== undefined) {
      const d = decodePayload(input.payload);
      if (!d) return 'invalid_signature';
      const key = await this.tickets.verifyKey(d.keyId);
      if (!key || key.eventId !== d.eventId || !verifyDecoded(d, key.publicKey)) return 'invalid_signature';
      return { ticketId: d.ticketId };
    }
    const code = normalizeTicketCode(input.code ?? '');
    return code ? { code } : 'unknown_ticket';
  }

  /** Why a found ticket may not get in on this list at `at` (null: every rule holds). */
  private refusal(t: Omit<ScanRow, 'admitted_id' | 'admitted_at'>, list: { event_id: string }, at: Date): ScanCode | null {
    if (t.event_id !== list.event_id) return 'wrong_event';
    if (t.event_status === 'cancelled') return 'event_cancelled';
    if (t.event_status === 'draft') return 'not_yet_valid';
    if (t.revoked_at) return 'revoked';
    if (!t.in_list) return 'not_in_list';
    if (at.getTime() < t.starts_at.getTime() - this.window.opensMinutesBefore * 60_000) return 'not_yet_valid';
    if (at.getTime() > t.ends_at.getTime() + this.window.closesMinutesAfter * 60_000) return 'expired';
    return null;
  }

  /** Online scan: admitted once per list, whatever the number of gates scanning at the same instant. */
  async scan(actor: Actor, listId: string, input: ScanRequest): Promise<ScanResult> {
    if ((input.payload === undefined) === (input.code === undefined)) {
      throw ticketsErrors.invalid([{ field: 'payload', message: 'give exactly one of payload (the QR content) or code (typed)' }]);
    }
    const list = await this.scanAccess(actor, listId);
    CheckinService.checkGate(list, input.gate, 'gate');
    const ref = await this.resolve(input);
    if (typeof ref === 'string') return rejected(ref);
    const s: ScanInput = { listId, gate: input.gate, deviceId: input.deviceId, scanId: input.scanId ?? null, userId: actor.userId, at: new Date() };
    const row = await this.admissions.submit({ ...ref, ...s, checkinId: uuidv7() });
    if (!row) return rejected('unknown_ticket');
    const ticket = ticketOf(row);
    if (row.admitted_id) {
      return { result: 'admitted', message: 'Admitted.', ticket, admission: { scannedAt: row.admitted_at!.toISOString(), gate: s.gate, deviceId: s.deviceId, offline: false } };
    }
    const why = this.refusal(row, list, s.at);
    if (why) return rejected(why, { ticket });
    const first = await this.repo.findCheckin(this.db, row.id, listId);
    if (!first) return rejected('already_redeemed', { ticket }); // unreachable: the conflicting row is committed
    if (s.scanId && first.device_id === s.deviceId && first.scan_id === s.scanId) {
      return { result: 'admitted', message: 'Admitted.', ticket, admission: admissionOf(first), replayed: true };
    }
    return rejected('already_redeemed', { ticket, admission: admissionOf(first) });
  }

  /**
   * Offline scans uploaded by a device. Each gets its result; per (ticket, list) the earliest scan
   * (ties: deviceId, then localScanId) holds the admission — a later upload of an earlier scan takes
   * it over — and every other scan that let the ticket in is recorded and reported as a conflict.
   * Idempotent per (deviceId, localScanId): an upload retried after a lost answer changes nothing.
   */
  async sync(actor: Actor, listId: string, input: { deviceId: string; scans: OfflineScan[] }): Promise<{
    checkinListId: string; deviceId: string; results: SyncScanResult[]; conflicts: SyncConflict[]; admitted: number; rejected: number;
  }> {
    const errs: FieldError[] = [];
    const now = Date.now();
    const seen = new Set<string>();
    input.scans.forEach((sc, i) => {
      if ((sc.payload === undefined) === (sc.code === undefined)) errs.push({ field: `scans.${i}.payload`, message: 'give exactly one of payload or code' });
      const at = Date.parse(sc.scannedAt);
      if (!Number.isFinite(at)) errs.push({ field: `scans.${i}.scannedAt`, message: 'must be a date-time' });
      else if (at > now + FUTURE_SKEW_MS) errs.push({ field: `scans.${i}.scannedAt`, message: 'is in the future (check the device clock)' });
      if (seen.has(sc.localScanId)) errs.push({ field: `scans.${i}.localScanId`, message: 'appears twice in this upload' });
      seen.add(sc.localScanId);
    });
    if (errs.length) throw ticketsErrors.invalid(errs, 'The upload is invalid.');
    await this.scanAccess(actor, listId);
    // Fresh list for the rules (ticket types may have just changed).
    const list = (await this.repo.findList(listId))!;
    input.scans.forEach((sc, i) => {
      try {
        CheckinService.checkGate(list, sc.gate, `scans.${i}.gate`);
      } catch {
        errs.push({ field: `scans.${i}.gate`, message: `must be one of this list's gates: ${list.gates.join(', ')}` });
      }
    });
    if (errs.length) throw ticketsErrors.invalid(errs, 'The upload is invalid.');

    const refs = await Promise.all(input.scans.map((sc) => this.resolve(sc)));
    const ids = refs.flatMap((r) => (typeof r === 'object' && 'ticketId' in r ? [r.ticketId] : []));
    const codes = refs.flatMap((r) => (typeof r === 'object' && 'code' in r ? [r.code] : []));
    const found = await this.repo.findScanTickets(ids, codes);
    const byId = new Map(found.map((t) => [t.id, t]));
    const byCode = new Map(found.map((t) => [t.code, t]));
    const types = new Set(list.ticket_type_ids);

    const results: SyncScanResult[] = new Array(input.scans.length);
    const candidates: { i: number; t: (typeof found)[number]; s: ScanInput }[] = [];
    input.scans.forEach((sc, i) => {
      const ref = refs[i]!;
      if (typeof ref === 'string') {
        results[i] = { localScanId: sc.localScanId, ...rejected(ref) };
        return;
      }
      const t = 'ticketId' in ref ? byId.get(ref.ticketId) : byCode.get(ref.code);
      if (!t) {
        results[i] = { localScanId: sc.localScanId, ...rejected('unknown_ticket') };
        return;
      }
      const at = new Date(sc.scannedAt);
      const why = this.refusal({ ...t, in_list: types.size === 0 || types.has(t.ticket_type_id) }, list, at);
      if (why) {
        results[i] = { localScanId: sc.localScanId, ...rejected(why, { ticket: ticketOf(t) }) };
        return;
      }
      candidates.push({ i, t, s: { listId, gate: sc.gate, deviceId: input.deviceId, scanId: sc.localScanId, userId: actor.userId, at } });
    });

    // One transaction, tickets in id order (concurrent uploads lock in the same order: no deadlock),
    // each ticket's scans earliest first.
    candidates.sort((a, b) => (a.t.id < b.t.id ? -1 : a.t.id > b.t.id ? 1 : a.s.at.getTime() - b.s.at.getTime() || (a.s.scanId! < b.s.scanId! ? -1 : 1)));
    const conflicts: SyncConflict[] = [];
    await this.db.transaction().execute(async (tx) => {
      for (const c of candidates) {
        const me = { scannedAt: c.s.at.toISOString(), gate: c.s.gate, deviceId: c.s.deviceId, offline: true, localScanId: c.s.scanId! };
        const ticket = ticketOf(c.t);
        if (await this.repo.insertOfflineCheckin(tx, c.t.id, c.s)) {
          results[c.i] = { localScanId: c.s.scanId!, result: 'admitted', message: 'Admitted.', ticket, admission: me };
          continue;
        }
        const held = (await this.repo.lockCheckin(tx, c.t.id, listId))!;
        if (held.device_id === c.s.deviceId && held.scan_id === c.s.scanId) {
          results[c.i] = { localScanId: c.s.scanId!, result: 'admitted', message: 'Admitted.', ticket, admission: me, replayed: true };
          continue;
        }
        const heldKey = { at: held.scanned_at.getTime(), device: held.device_id, scan: held.scan_id ?? held.id };
        const heldView = { ...admissionOf(held), localScanId: held.scan_id };
        if (earlier({ at: c.s.at.getTime(), device: c.s.deviceId, scan: c.s.scanId! }, heldKey)) {
          // This earlier scan is the admission; the one held so far becomes the conflict.
          await this.repo.insertConflict(tx, { ticketId: c.t.id, listId, gate: held.gate, deviceId: held.device_id, scanId: heldKey.scan, scannedAt: held.scanned_at, userId: null });
          await this.repo.replaceCheckin(tx, held.id, c.s);
          conflicts.push({ ticketId: c.t.id, admission: me, conflicting: { ...heldView, localScanId: heldKey.scan } });
          results[c.i] = { localScanId: c.s.scanId!, result: 'admitted', message: 'Admitted (an earlier scan than the one recorded so far).', ticket, admission: me };
        } else {
          await this.repo.insertConflict(tx, { ticketId: c.t.id, listId, gate: c.s.gate, deviceId: c.s.deviceId, scanId: c.s.scanId!, scannedAt: c.s.at, userId: actor.userId });
          conflicts.push({ ticketId: c.t.id, admission: heldView, conflicting: me });
          results[c.i] = { localScanId: c.s.scanId!, ...rejected('already_redeemed', { ticket, admission: admissionOf(held) }) };
        }
      }
    });
    const admitted = results.filter((r) => r.result === 'admitted').length;
    if (conflicts.length) this.log.warn({ checkinListId: listId, deviceId: input.deviceId, conflicts: conflicts.length }, 'offline check-in conflicts');
    return { checkinListId: listId, deviceId: input.deviceId, results, conflicts, admitted, rejected: results.length - admitted };
  }

  // ---- offline download and stats ----

  async download(actor: Actor, listId: string, o: { since?: string; limit: number }) {
    const list = await this.listFor(actor, listId);
    const after = o.since ? decodeCursor(o.since) : START;
    if (!after) throw ticketsErrors.invalid([{ field: 'since', message: 'is not a cursor this API returned' }]);
    const rows = await this.repo.findListTicketsSince(list, after, o.limit + 1);
    const page = rows.slice(0, o.limit);
    const last = page[page.length - 1];
    const key = await this.repo.findEventKey(list.event_id);
    return {
      checkinList: toListView(list),
      publicKeys: key ? [{ keyId: key.key_id, algorithm: 'Ed25519' as const, publicKey: key.public_key.toString('base64url') }] : [],
      tickets: page.filter((t) => !t.revoked_at).map((t) => ({
        id: t.id, code: t.code, ticketTypeId: t.ticket_type_id, holder: { name: t.holder_name }, checkedInAt: t.checked_in_at?.toISOString() ?? null,
      })),
      revocations: page.filter((t) => t.revoked_at).map((t) => ({ id: t.id, code: t.code, revokedAt: t.revoked_at!.toISOString(), reason: t.revoked_reason ?? '' })),
      nextCursor: last ? encodeCursor(last.sync_version, last.id) : (o.since ?? null),
      hasMore: rows.length > o.limit,
    };
  }

  async stats(actor: Actor, listId: string) {
    const list = await this.listFor(actor, listId);
    const rows = await this.repo.countListStats(list);
    return {
      checkinListId: list.id,
      eventId: list.event_id,
      checkedIn: rows.reduce((s, r) => s + r.checked_in, 0),
      total: rows.reduce((s, r) => s + r.total, 0),
      ticketTypes: rows.map((r) => ({ ticketTypeId: r.ticket_type_id, name: r.name, checkedIn: r.checked_in, total: r.total })),
    };
  }
}
