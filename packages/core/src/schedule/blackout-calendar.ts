/**
 * Local dates on which a window must not open (change freezes, holidays): single dates
 * `YYYY-MM-DD` or inclusive ranges `YYYY-MM-DD..YYYY-MM-DD`, in the window's own zone.
 */
import { Temporal } from 'temporal-polyfill';
import { invalidField } from './invalid-field.ts';
import { floatingMs, parseLocalDate } from './local-time.ts';

/** Days since 1970-01-01 of a calendar date, zone-free. */
function dayNumber(date: Temporal.PlainDate): number {
  return floatingMs(date.year, date.month, date.day) / 86_400_000;
}

export class BlackoutCalendar {
  /** Sorted, merged, inclusive [first, last] day numbers. */
  readonly #ranges: readonly (readonly [number, number])[];

  private constructor(ranges: [number, number][]) {
    this.#ranges = Object.freeze(ranges);
  }

  static readonly EMPTY = new BlackoutCalendar([]);

  /** Throws PW_ERR_INVALID_RECORD naming `field[i]` for the first bad entry. */
  static parse(entries: unknown, field: string, record?: string): BlackoutCalendar {
    if (entries === undefined) return BlackoutCalendar.EMPTY;
    if (!Array.isArray(entries)) throw invalidField(field, 'expected an array of dates', record);
    const ranges: [number, number][] = entries.map((entry: unknown, i) => {
      const text = typeof entry === 'string' ? entry : '';
      const [first, last = first, extra] = text.split('..');
      const from = parseLocalDate(first);
      const to = parseLocalDate(last);
      if (from === undefined || to === undefined || extra !== undefined) {
        throw invalidField(
          `${field}[${i}]`,
          `bad date '${String(entry)}' (YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD)`,
          record,
        );
      }
      if (Temporal.PlainDate.compare(from, to) > 0) {
        throw invalidField(`${field}[${i}]`, `range '${text}' ends before it starts`, record);
      }
      return [dayNumber(from), dayNumber(to)];
    });
    ranges.sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    for (const range of ranges) {
      const top = merged[merged.length - 1];
      if (top && range[0] <= top[1] + 1) top[1] = Math.max(top[1], range[1]);
      else merged.push([range[0], range[1]]);
    }
    return new BlackoutCalendar(merged);
  }

  /** The last blacked-out date of the blackout covering `date`, or undefined when it is not blacked out. */
  blackoutEnd(date: Temporal.PlainDate): Temporal.PlainDate | undefined {
    const day = dayNumber(date);
    let lo = 0;
    let hi = this.#ranges.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const range = this.#ranges[mid];
      if (range && range[1] < day) lo = mid + 1;
      else hi = mid;
    }
    const range = this.#ranges[lo];
    if (range === undefined || range[0] > day) return undefined;
    return date.add({ days: range[1] - day });
  }
}
