/**
 * fast-check inputs for time-zone properties: real IANA zones chosen for their oddities, and
 * instants that land on and around their DST transitions (where schedules go wrong) as often as
 * on ordinary days. Transitions are listed with Temporal: that only steers the inputs, the
 * properties check results against the Intl oracle.
 */
import fc from 'fast-check';
import { Temporal } from 'temporal-polyfill';

export const ZONES = [
  'UTC',
  'America/New_York',
  'Europe/Berlin',
  'Europe/London',
  'Europe/Dublin', // negative DST in tzdata: "winter time" is the offset change
  'Australia/Lord_Howe', // 30-minute DST
  'Asia/Kolkata', // +05:30, no DST
  'Asia/Kathmandu', // +05:45
  'Pacific/Chatham', // +12:45 / +13:45
  'America/Santiago', // changes at midnight
  'America/Havana', // changes at midnight
  'Africa/Casablanca', // leaves +01 for +00 during Ramadan
  'America/St_Johns', // -03:30 / -02:30
  'Asia/Tehran', // DST at midnight until 2022, none since
  'Pacific/Kiritimati', // +14
] as const;

export const FIRST_YEAR = 2020;
export const LAST_YEAR = 2032;
const START = Date.UTC(FIRST_YEAR, 0, 1);
const END = Date.UTC(LAST_YEAR, 11, 31);

const cache = new Map<string, number[]>();

/** Every offset transition of `zone` between 2020 and 2032, as epoch milliseconds. */
export function transitions(zone: string): number[] {
  let list = cache.get(zone);
  if (list) return list;
  list = [];
  let at: Temporal.ZonedDateTime | null =
    Temporal.Instant.fromEpochMilliseconds(START).toZonedDateTimeISO(zone);
  while ((at = at.getTimeZoneTransition('next')) !== null && at.epochMilliseconds < END)
    list.push(at.epochMilliseconds);
  cache.set(zone, list);
  return list;
}

export const anyInstant = fc.integer({ min: START, max: END });

/** Within three days of one of the zone's transitions, at a minute that is often a round one. */
export function nearTransition(zone: string): fc.Arbitrary<number> {
  const list = transitions(zone);
  if (list.length === 0) return anyInstant;
  return fc
    .tuple(
      fc.constantFrom(...list),
      fc.oneof(
        fc.integer({ min: -72 * 4, max: 72 * 4 }).map((q) => q * 900_000),
        fc.integer({ min: -3 * 86_400_000, max: 3 * 86_400_000 }),
      ),
    )
    .map(([t, delta]) => t + delta);
}

/** A zone and an instant, half of the time close to a DST transition of that zone. */
export const zoneAndInstant = fc
  .constantFrom(...ZONES)
  .chain((zone) => fc.tuple(fc.constant(zone), fc.oneof(anyInstant, nearTransition(zone))));
