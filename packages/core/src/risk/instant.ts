/**
 * Time as the core receives it: callers pass "now" in, as an RFC 3339 instant or epoch
 * milliseconds; the core never reads a clock. Dates are parsed strictly because `Date.parse`
 * accepts (and guesses at) far more than RFC 3339.
 */
import { pwError } from '../errors/errors.ts';

const RFC_3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export type Instant = string | number;

export const DAY_MS = 86_400_000;

function fail(field: string, value: unknown, expected: string, record?: string): never {
  throw pwError('PW_ERR_INVALID_RECORD', `Invalid ${field}: expected ${expected}`, {
    field,
    value,
    ...(record === undefined ? {} : { record }),
  });
}

function validDay(year: string, month: string, day: string): boolean {
  const ms = Date.UTC(Number(year), Number(month) - 1, Number(day));
  const date = new Date(ms);
  return (
    date.getUTCFullYear() === Number(year) &&
    date.getUTCMonth() === Number(month) - 1 &&
    date.getUTCDate() === Number(day)
  );
}

/** Epoch milliseconds of an RFC 3339 date-time or of a finite epoch-ms number. */
export function instantMs(value: unknown, field: string, record?: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) fail(field, value, 'finite epoch milliseconds', record);
    return value;
  }
  const match = typeof value === 'string' ? RFC_3339.exec(value) : null;
  if (!match)
    fail(field, value, 'an RFC 3339 date-time (2024-07-10T00:00:00Z) or epoch milliseconds', record);
  const [, year = '', month = '', day = '', hour = '', minute = '', second = ''] = match;
  if (!validDay(year, month, day) || Number(hour) > 23 || Number(minute) > 59 || Number(second) > 60) {
    fail(field, value, 'an existing calendar date and time', record);
  }
  const ms = Date.parse((value as string).replace(' ', 'T'));
  if (!Number.isFinite(ms)) fail(field, value, 'an RFC 3339 date-time', record);
  return ms;
}

/** Epoch milliseconds of the start (00:00 UTC) of a `YYYY-MM-DD` calendar date. */
export function calendarDateMs(value: unknown, field: string, record?: string): number {
  const match = typeof value === 'string' ? CALENDAR_DATE.exec(value) : null;
  if (!match) fail(field, value, 'a calendar date YYYY-MM-DD', record);
  const [, year = '', month = '', day = ''] = match;
  if (!validDay(year, month, day)) fail(field, value, 'an existing calendar date', record);
  return Date.UTC(Number(year), Number(month) - 1, Number(day));
}

export function daysBetween(fromMs: number, toMs: number): number {
  return (toMs - fromMs) / DAY_MS;
}
