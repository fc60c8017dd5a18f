/** Postgres type oids whose default parsing differs between pg and PGlite, or is unsafe. */
const INT8 = 20;
const DATE = 1082;
const TIMESTAMPTZ = 1184;

const TIMESTAMP_TEXT =
  /^(\d{4,})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(?:([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?)?( BC)?$/;

/**
 * `timestamptz` text as Postgres prints it, for every year: JavaScript's Date parser reads
 * `0001-01-01 00:00:00+00` (Go's zero time, which real feeds carry) as the year 2001.
 */
export function parseTimestamptz(text: string): Date {
  const match = TIMESTAMP_TEXT.exec(text);
  if (!match) return new Date(text);
  const [, y, mo, d, h, mi, sec, frac, sign, oh, om, os, bc] = match;
  const year = bc ? 1 - Number(y) : Number(y);
  const millis = frac ? Number(frac.padEnd(3, '0').slice(0, 3)) : 0;
  const date = new Date(0);
  date.setUTCFullYear(year, Number(mo) - 1, Number(d));
  date.setUTCHours(Number(h), Number(mi), Number(sec), millis);
  if (sign) {
    const offset = (Number(oh) * 3600 + Number(om ?? 0) * 60 + Number(os ?? 0)) * 1000;
    date.setTime(date.getTime() - (sign === '+' ? offset : -offset));
  }
  return date;
}

/**
 * Result parsers shared by both backends, so that a query returns the same JS values on either:
 * int8 (bigserial ids, count(*)) as numbers, since ids stay far below 2^53; `date` as its
 * YYYY-MM-DD text, because pg would build a Date at local midnight and shift the day.
 */
export const TYPE_PARSERS: Readonly<Record<number, (text: string) => unknown>> = Object.freeze({
  [INT8]: (text: string) => Number(text),
  [DATE]: (text: string) => text,
  [TIMESTAMPTZ]: parseTimestamptz,
});
