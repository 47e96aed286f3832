import { appError } from '../../platform/errors.js';

export const inventoryErrors = {
  soldOut: (remaining: { ticketTypeId: string; remaining: number }[]) =>
    appError('sold_out', 409, 'Not enough tickets left for this booking.', { remaining }),
  salesClosed: (ticketTypeIds: string[]) =>
    appError('sales_closed', 409, 'Tickets of this type are not on sale right now.', { ticketTypeIds }),
};
