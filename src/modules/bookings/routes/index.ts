import type { FastifyInstance } from 'fastify';
import { createBooking } from './createBooking.js';
import { listBookings } from './listBookings.js';
import { getBooking } from './getBooking.js';
import { cancelBooking } from './cancelBooking.js';

export async function bookingsRoutes(app: FastifyInstance) {
  createBooking(app);
  listBookings(app);
  getBooking(app);
  cancelBooking(app);
}
