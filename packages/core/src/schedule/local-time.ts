/**
 * Wall-clock time in an IANA zone and its one mapping to instants. Recurrence rules (RRULE, cron,
 * Patch Tuesday) are evaluated on *floating* local date-times, never on instants, so that DST never
 * shifts a rule; only this module turns a wall-clock time into an instant, with one documented
 * rule for the two DST anomalies:
 *
 * - **gap** (spring forward, e.g. Europe/Berlin 02:00 -> 03:00): the wall time does not exist; it
 *   maps to the first valid instant after the gap, i.e. the transition itself (02:30 -> 03:00).
 *   This is neither Temporal's `'later'` (which shifts by the gap length, 02:30 -> 03:30) nor
 *   `'earlier'`: a window must not open before its rule's time, nor later than it has to.
 * - **fold** (fall back, e.g. 03:00 -> 02:00): the wall time happens twice; it maps to the first
 *   occurrence (`'earlier'`), so a window opens once, not twice.
 *
 * The mapping is monotone non-decreasing in wall time; several wall times of one gap share an
 * instant, which is why callers drop instants that do not increase.
 *
 * Floating times travel as "floating milliseconds": the wall clock read as if it were UTC. That keeps them cheap to compare and is the representation rrule and croner (run in UTC)
 * already use; `Date` is a calendar calculator here, never a clock.
 */
import { Temporal } from 'temporal-polyfill';

const DAY_MS = 86_400_000;

/** True for a time-zone name Temporal knows (IANA names and `UTC`), false for offsets such as `+02:00`. */
export function isIanaTimeZone(timeZone: string): boolean {
  if (typeof timeZone !== 'string' || timeZone === '' || /^[+-]/.test(timeZone)) return false;
  try {
    new Temporal.ZonedDateTime(0n, timeZone);
    return true;
  } catch {
    return false;
  }
}

export function floatingToPlain(floatingMs: number): Temporal.PlainDateTime {
  const d = new Date(floatingMs);
  return new Temporal.PlainDateTime(
    d.getUTCFullYear(),
    d.getUTCMonth() + 1,
    d.getUTCDate(),
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
    d.getUTCMilliseconds(),
  );
}

/** `Date.UTC` without its quirk of reading years 0-99 as 1900-1999. */
export function floatingMs(
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
  ms = 0,
): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  return date.getTime();
}

export function plainToFloating(p: Temporal.PlainDateTime | Temporal.PlainDate): number {
  if (p instanceof Temporal.PlainDate) return floatingMs(p.year, p.month, p.day);
  return floatingMs(p.year, p.month, p.day, p.hour, p.minute, p.second, p.millisecond);
}

/** The wall clock of `epochMs` in `timeZone`, as floating milliseconds. */
export function instantToFloating(epochMs: number, timeZone: string): number {
  return plainToFloating(zoned(epochMs, timeZone).toPlainDateTime());
}

export function zoned(epochMs: number, timeZone: string): Temporal.ZonedDateTime {
  return Temporal.Instant.fromEpochMilliseconds(epochMs).toZonedDateTimeISO(timeZone);
}

export interface WallClockInstant {
  epochMs: number;
  /** True when the wall time fell into a DST gap and was moved to the end of the gap. */
  inGap: boolean;
}

/** Maps a wall-clock time to an instant: gap -> first instant after the gap, fold -> first occurrence. */
export function wallClockToInstant(floatingMs: number, timeZone: string): WallClockInstant {
  const wall = floatingToPlain(floatingMs);
  const earlier = wall.toZonedDateTime(timeZone, { disambiguation: 'earlier' });
  if (Temporal.PlainDateTime.compare(earlier.toPlainDateTime(), wall) === 0) {
    return { epochMs: earlier.epochMilliseconds, inGap: false };
  }
  // In a gap `'earlier'` reads the wall time with the offset after the transition, which lands
  // before the transition, so the next transition from there is the end of this gap.
  const transition = earlier.getTimeZoneTransition('next');
  if (transition === null) throw new RangeError(`No transition after ${wall.toString()} in ${timeZone}`);
  return { epochMs: transition.epochMilliseconds, inGap: true };
}

/** The first instant of a local date (after the gap when midnight does not exist, e.g. America/Santiago). */
export function startOfLocalDay(date: Temporal.PlainDate, timeZone: string): number {
  return date.toZonedDateTime({ timeZone }).epochMilliseconds;
}

/** RFC 3339 with the zone's offset at that instant, e.g. `2026-03-29T03:00:00+02:00`. */
export function formatInstant(epochMs: number, timeZone: string): string {
  return zoned(epochMs, timeZone).toString({ timeZoneName: 'never' });
}

/** `YYYY-MM-DDTHH:MM:SS` of floating milliseconds. */
export function formatFloating(floatingMs: number): string {
  return floatingToPlain(floatingMs).toString();
}

/** Strict `YYYY-MM-DD` (real calendar date) or undefined. */
export function parseLocalDate(text: unknown): Temporal.PlainDate | undefined {
  if (typeof text !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(text)) return undefined;
  try {
    return Temporal.PlainDate.from(text, { overflow: 'reject' });
  } catch {
    return undefined;
  }
}

/** Strict RFC 3339 date-time with `Z` or a numeric offset, as epoch milliseconds, or undefined. */
export function parseRfc3339(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  if (!/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:\d{2})$/.test(text)) {
    return undefined;
  }
  try {
    return Temporal.Instant.from(text).epochMilliseconds;
  } catch {
    return undefined;
  }
}

export { DAY_MS };
