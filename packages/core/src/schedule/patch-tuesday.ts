/**
 * Microsoft's Patch Tuesday: the second Tuesday of the month (always the 8th to the 14th).
 * Many fleets patch "Patch Tuesday + N days" so that pilots see the updates first.
 */
import { Temporal } from 'temporal-polyfill';
import { floatingMs } from './local-time.ts';
import type { WallClockSource } from './wall-clock-source.ts';

const TUESDAY = 2; // ISO day of week, Monday = 1

/** The second Tuesday of `month` (1-12) in `year`. */
export function patchTuesday(year: number, month: number): Temporal.PlainDate {
  const first = new Temporal.PlainDate(year, month, 1);
  const toFirstTuesday = (TUESDAY - first.dayOfWeek + 7) % 7;
  return first.add({ days: toFirstTuesday + 7 });
}

/** Patch Tuesday + `offsetDays`, at `hour`:`minute` wall-clock time, every month. */
export function patchTuesdaySource(offsetDays: number, hour: number, minute: number): WallClockSource {
  return {
    firstAtOrAfter(floating) {
      const at = new Date(floating);
      // Start a month early: with an offset, last month's start may still lie ahead.
      let month = new Temporal.PlainYearMonth(at.getUTCFullYear(), at.getUTCMonth() + 1).subtract({
        months: 1,
      });
      for (;;) {
        const day = patchTuesday(month.year, month.month).add({ days: offsetDays });
        const start = floatingMs(day.year, day.month, day.day, hour, minute);
        if (start >= floating) return start;
        month = month.add({ months: 1 });
      }
    },
  };
}
