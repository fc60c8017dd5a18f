/**
 * Cron expressions (croner: 5 fields, or 6 with seconds first, or 7 with years; nicknames such as
 * `@weekly`; `L`, `W` and `#` extensions). Day-of-month and day-of-week combine with OR when both
 * are restricted, as in Vixie cron. The pattern is evaluated in UTC on floating wall-clock time, so
 * croner's own time-zone handling never runs: the zone is applied afterwards, in one place.
 */
import { Cron } from 'croner';
import { invalidField } from './invalid-field.ts';
import { SEARCH_HORIZON_MS } from './wall-clock-source.ts';
import type { WallClockSource } from './wall-clock-source.ts';

export function cronSource(pattern: unknown, field: string, record?: string): WallClockSource {
  if (typeof pattern !== 'string' || pattern.trim() === '') {
    throw invalidField(field, 'expected a cron expression', record);
  }
  let cron: Cron;
  try {
    cron = new Cron(pattern.trim(), { utcOffset: 0 });
  } catch (error) {
    throw invalidField(field, `bad cron expression: ${(error as Error).message}`, record, error);
  }
  return {
    firstAtOrAfter(floatingMs) {
      // croner answers strictly after its argument, at whole seconds.
      const next = cron.nextRun(new Date(floatingMs - 1));
      if (next === null) return undefined;
      const ms = next.getTime();
      return ms - floatingMs > SEARCH_HORIZON_MS ? undefined : ms;
    },
  };
}
