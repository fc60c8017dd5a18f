/** Postgres type oids whose default parsing differs between pg and PGlite, or is unsafe. */
const INT8 = 20;
const DATE = 1082;

/**
 * Result parsers shared by both backends, so that a query returns the same JS values on either:
 * int8 (bigserial ids, count(*)) as numbers, since ids stay far below 2^53; `date` as its
 * YYYY-MM-DD text, because pg would build a Date at local midnight and shift the day.
 */
export const TYPE_PARSERS: Readonly<Record<number, (text: string) => unknown>> = Object.freeze({
  [INT8]: (text: string) => Number(text),
  [DATE]: (text: string) => text,
});
