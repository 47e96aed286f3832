import type { FastifyInstance } from 'fastify';
import { getTicketKey } from './getTicketKey.js';
import { listBookingTickets } from './listBookingTickets.js';
import { getTicketQr } from './getTicketQr.js';
import { getBookingTicketsPdf } from './getBookingTicketsPdf.js';
import { resendTickets } from './resendTickets.js';
import { createCheckinList } from './createCheckinList.js';
import { listCheckinLists } from './listCheckinLists.js';
import { getCheckinList } from './getCheckinList.js';
import { updateCheckinList } from './updateCheckinList.js';
import { createCheckin } from './createCheckin.js';
import { syncCheckins } from './syncCheckins.js';
import { listCheckinListTickets } from './listCheckinListTickets.js';
import { getCheckinListStats } from './getCheckinListStats.js';

/** Tickets (the buyer's JSON, QR PNG, PDF, resend) and the gate (keys, check-in lists, scans, offline sync, counts). */
export async function ticketsRoutes(app: FastifyInstance) {
  getTicketKey(app);
  listBookingTickets(app);
  getTicketQr(app);
  getBookingTicketsPdf(app);
  resendTickets(app);
  createCheckinList(app);
  listCheckinLists(app);
  getCheckinList(app);
  updateCheckinList(app);
  createCheckin(app);
  syncCheckins(app);
  listCheckinListTickets(app);
  getCheckinListStats(app);
}
