import Type from 'typebox';
import { DateTime, Nullable, Uuid } from '../../platform/http/schemas.js';

/** Request pieces and response schemas of the venues, events and ticket-types routes. */

export const Name = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' });
export const Description = Type.String({ maxLength: 5000 });
export const City = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' });
export const Country = Type.String({ pattern: '^[A-Za-z]{2}$', description: 'ISO 3166-1 alpha-2 country code, e.g. RW' });
export const Timezone = Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone, e.g. Africa/Kigali' });
export const Currency = Type.String({
  pattern: '^[A-Za-z]{3}$',
  description: 'ISO 4217 currency code, e.g. RWF. One currency per event.',
});
export const Price = Type.Integer({
  minimum: 0,
  maximum: 1_000_000_000_000,
  description:
    "Integer amount in the currency's minor unit (ISO 4217): 5000 USD-cents is 50.00 USD; RWF and UGX have no minor unit, so 5000 RWF is 5,000 RWF.",
});
export const EventStatusSchema = Type.Union([
  Type.Literal('draft'),
  Type.Literal('published'),
  Type.Literal('completed'),
  Type.Literal('cancelled'),
]);
export const Visibility = Type.Union([Type.Literal('public'), Type.Literal('hidden')], {
  description: 'hidden ticket types are not listed publicly (e.g. complimentary or partner tickets)',
});

export const Venue = Type.Object({
  id: Uuid(),
  organizerId: Uuid(),
  name: Type.String(),
  city: Type.String(),
  country: Type.String(),
  timezone: Type.String(),
  capacity: Type.Integer(),
  createdAt: DateTime(),
  updatedAt: DateTime(),
});

export const TicketType = Type.Object({
  id: Uuid(),
  eventId: Uuid(),
  name: Type.String(),
  description: Type.String(),
  price: Type.Integer({ description: "In the currency's minor unit (see minorUnit)" }),
  currency: Type.String(),
  minorUnit: Type.Integer({ description: 'Digits of the minor unit: 0 for RWF/UGX, 2 for USD; amount = price / 10^minorUnit' }),
  capacity: Type.Integer(),
  remaining: Type.Integer({ description: 'capacity - held - sold, right now' }),
  held: Type.Optional(Type.Integer({ description: 'Organizer members only' })),
  sold: Type.Optional(Type.Integer({ description: 'Organizer members only' })),
  salesStart: Nullable(DateTime()),
  salesEnd: Nullable(DateTime()),
  salesStatus: Type.Union([Type.Literal('not_started'), Type.Literal('on_sale'), Type.Literal('ended'), Type.Literal('sold_out')]),
  minPerOrder: Type.Integer(),
  maxPerOrder: Type.Integer(),
  visibility: Visibility,
  sortOrder: Type.Integer(),
  createdAt: DateTime(),
  updatedAt: DateTime(),
});

const eventProperties = {
  id: Uuid(),
  organizerId: Uuid(),
  organizer: Type.Object({ id: Uuid(), name: Type.String() }),
  venueId: Uuid(),
  venue: Type.Object({ id: Uuid(), name: Type.String(), city: Type.String(), country: Type.String(), timezone: Type.String() }),
  name: Type.String(),
  description: Type.String(),
  startsAt: DateTime(),
  endsAt: DateTime(),
  timezone: Type.String(),
  status: EventStatusSchema,
  holdMinutes: Type.Integer(),
  publishedAt: Nullable(DateTime()),
  cancelledAt: Nullable(DateTime()),
  lowestPrice: Nullable(Type.Object({ price: Type.Integer(), currency: Type.String(), minorUnit: Type.Integer() })),
  createdAt: DateTime(),
  updatedAt: DateTime(),
};

export const Event = Type.Object(eventProperties);
export const EventDetail = Type.Object({ ...eventProperties, ticketTypes: Type.Array(TicketType) });
export const EventPage = Type.Object({
  items: Type.Array(Event),
  nextCursor: Nullable(Type.String({ description: 'Pass as `cursor` for the next page; null on the last page' })),
});

/** Query of event lists: date range on startsAt (from inclusive, to exclusive), free text, keyset cursor. */
export const eventListQuery = {
  from: Type.Optional(DateTime('Events starting at or after this instant')),
  to: Type.Optional(DateTime('Events starting before this instant')),
  q: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'Full-text search over name, venue, city and description (web-search syntax: "quoted phrase", -exclude, or)',
    }),
  ),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
};
