/**
 * Maintenance windows: when, in an asset's own time zone, patches may be applied.
 *
 * A window is a recurrence (RRULE, cron or "Patch Tuesday + N days") of local wall-clock start
 * times plus a duration. Rules are evaluated on wall-clock time and each start is turned into an
 * instant afterwards (local-time.ts), so DST never moves a rule:
 * - a start that falls in a spring-forward gap opens at the first instant after the gap
 *   (Europe/Berlin 02:30 on 2026-03-29 opens at 03:00 CEST);
 * - a start in a repeated fall-back hour opens at its first occurrence, once
 *   (02:30 on 2026-10-25 opens at 02:30 CEST, not again at 02:30 CET).
 *
 * Durations are real elapsed time: a 4-hour window that crosses a DST change lasts 4 hours, so
 * its local end time is 3 or 5 hours after its local start. Windows are half-open,
 * [start, end): a window is open at its start instant and closed at its end instant.
 *
 * Pure: every function takes the reference instant (epoch milliseconds); none reads a clock.
 */
import type { Temporal } from 'temporal-polyfill';
import { BlackoutCalendar } from './blackout-calendar.ts';
import { cronSource } from './cron-source.ts';
import { checkInstant } from './check-instant.ts';
import { invalidField } from './invalid-field.ts';
import {
  DAY_MS,
  formatFloating,
  formatInstant,
  instantToFloating,
  isIanaTimeZone,
  parseLocalDate,
  parseRfc3339,
  plainToFloating,
  startOfLocalDay,
  wallClockToInstant,
  zoned,
} from './local-time.ts';
import { patchTuesdaySource } from './patch-tuesday.ts';
import { rruleSource } from './rrule-source.ts';
import type { WallClockSource } from './wall-clock-source.ts';

export type WindowRecurrence =
  { rrule: string } | { cron: string } | { patchTuesday: { offsetDays: number; startTime: string } };

export interface MaintenanceWindowSpec {
  id: string;
  name?: string;
  /** IANA zone the recurrence is read in (`Europe/Berlin`, `UTC`); offsets such as `+02:00` are refused. */
  timeZone: string;
  /**
   * - `rrule`: RFC 5545 text, `DTSTART:20260105T220000\nRRULE:FREQ=WEEKLY;BYDAY=MO` (DTSTART is
   *   local wall-clock time; without one, `validFrom` is used).
   * - `cron`: `0 22 * * 6` (minute hour day-of-month month day-of-week), local wall-clock time.
   * - `patchTuesday`: the second Tuesday of each month plus `offsetDays` (0-28), at `startTime`
   *   (`HH:MM`, local).
   */
  recurrence: WindowRecurrence;
  /** Real elapsed minutes, 1 to 7 days. */
  durationMinutes: number;
  /** Local dates (`YYYY-MM-DD`) or inclusive ranges (`YYYY-MM-DD..YYYY-MM-DD`) on which no window starts. */
  blackoutDates?: string[];
  /**
   * Windows start at or after `validFrom` and at or before `validUntil`: a local date
   * (`YYYY-MM-DD`, the whole day counts) or an RFC 3339 instant with offset.
   */
  validFrom?: string;
  validUntil?: string;
}

export interface WindowOccurrence {
  windowId: string;
  /** RFC 3339 with the zone's offset at that instant. */
  start: string;
  end: string;
  startEpochMs: number;
  endEpochMs: number;
  /** Local wall-clock start, `YYYY-MM-DDTHH:MM:SS`. */
  localStart: string;
  /** The wall-clock start the rule asked for; differs from `localStart` only inside a DST gap. */
  ruleLocalStart: string;
}

/** A window chosen to hold work that cannot begin before some instant. */
export interface WindowSlot extends WindowOccurrence {
  /** When work can begin: the later of the window's start and the reference instant. */
  usableFrom: string;
  usableFromEpochMs: number;
}

const MAX_DURATION_MINUTES = 7 * 24 * 60;
const MAX_PATCH_TUESDAY_OFFSET = 28;

interface CompiledWindow {
  id: string;
  timeZone: string;
  durationMs: number;
  source: WallClockSource;
  blackouts: BlackoutCalendar;
  validFromMs: number;
  /** Inclusive upper bound on start instants. */
  validUntilMs: number;
}

/** Throws PW_ERR_INVALID_RECORD naming the field path (`windows[2].timeZone`) of the first problem. */
export function validateWindowSpec(spec: unknown, path = 'window'): asserts spec is MaintenanceWindowSpec {
  compileWindow(spec, path);
}

/** Validates a list of windows and refuses duplicate ids. */
export function validateWindowSpecs(
  specs: unknown,
  path = 'windows',
): asserts specs is MaintenanceWindowSpec[] {
  if (!Array.isArray(specs)) throw invalidField(path, 'expected an array of maintenance windows');
  const seen = new Set<string>();
  specs.forEach((spec: unknown, i) => {
    const { id } = compileWindow(spec, `${path}[${i}]`);
    if (seen.has(id)) throw invalidField(`${path}[${i}].id`, `duplicate window id '${id}'`, id);
    seen.add(id);
  });
}

/**
 * The next `count` windows that end after `fromEpochMs`, in start order: a window open at `from`
 * comes first. Windows whose local start date is blacked out are skipped. Fewer than `count` are
 * returned when the rule ends (COUNT, UNTIL, validUntil) or does not fire for ten years.
 */
export function nextOccurrences(
  spec: MaintenanceWindowSpec,
  fromEpochMs: number,
  count: number,
): WindowOccurrence[] {
  checkInstant(fromEpochMs, 'fromEpochMs');
  if (!Number.isInteger(count) || count < 0) throw invalidField('count', 'expected a non-negative integer');
  const result: WindowOccurrence[] = [];
  if (count === 0) return result;
  for (const occurrence of occurrencesFrom(compileWindow(spec, 'window'), fromEpochMs)) {
    result.push(occurrence);
    if (result.length >= count) break;
  }
  return result;
}

/** The window open at `instantEpochMs` (the earliest-started one if windows overlap), or undefined. */
export function windowAt(spec: MaintenanceWindowSpec, instantEpochMs: number): WindowOccurrence | undefined {
  checkInstant(instantEpochMs, 'instantEpochMs');
  const first = occurrencesFrom(compileWindow(spec, 'window'), instantEpochMs).next();
  return !first.done && first.value.startEpochMs <= instantEpochMs ? first.value : undefined;
}

/**
 * Where work that may begin at `instantEpochMs` fits first among several windows: the window,
 * open or future, whose usable part starts earliest and still lasts `minDurationMinutes` (default:
 * any time left at all). Ties go to the window with more time left, then to the earlier spec.
 * Used to place a patch's due date into a window; undefined when no window ever fits.
 */
export function firstWindowAtOrAfter(
  specs: readonly MaintenanceWindowSpec[],
  instantEpochMs: number,
  minDurationMinutes = 0,
): WindowSlot | undefined {
  checkInstant(instantEpochMs, 'instantEpochMs');
  if (!Number.isFinite(minDurationMinutes) || minDurationMinutes < 0) {
    throw invalidField('minDurationMinutes', 'expected a non-negative number of minutes');
  }
  const minMs = minDurationMinutes * 60_000;
  let best: { slot: WindowSlot; leftMs: number } | undefined;
  specs.forEach((spec, i) => {
    const window = compileWindow(spec, `windows[${i}]`);
    if (window.durationMs < minMs) return;
    for (const occurrence of occurrencesFrom(window, instantEpochMs)) {
      const usableFromEpochMs = Math.max(occurrence.startEpochMs, instantEpochMs);
      const leftMs = occurrence.endEpochMs - usableFromEpochMs;
      if (leftMs < minMs) continue;
      const better =
        best === undefined ||
        usableFromEpochMs < best.slot.usableFromEpochMs ||
        (usableFromEpochMs === best.slot.usableFromEpochMs && leftMs > best.leftMs);
      if (better) {
        const usableFrom = formatInstant(usableFromEpochMs, window.timeZone);
        best = { slot: { ...occurrence, usableFrom, usableFromEpochMs }, leftMs };
      }
      // Later occurrences of this window start later still.
      return;
    }
  });
  return best?.slot;
}

function* occurrencesFrom(window: CompiledWindow, fromEpochMs: number): Generator<WindowOccurrence> {
  const { timeZone, durationMs, source, blackouts } = window;
  let wall = firstWallToScan(Math.max(fromEpochMs - durationMs, window.validFromMs - 1), timeZone);
  let previousStart = -Infinity;
  for (;;) {
    const ruleWall = source.firstAtOrAfter(wall);
    if (ruleWall === undefined) return;
    wall = ruleWall + 1;
    const start = wallClockToInstant(ruleWall, timeZone).epochMs;
    // Every wall time in one DST gap opens at the same instant: keep the first.
    if (start <= previousStart) continue;
    previousStart = start;
    if (start + durationMs <= fromEpochMs || start < window.validFromMs) continue;
    if (start > window.validUntilMs) return;
    const zonedStart = zoned(start, timeZone);
    const local = zonedStart.toPlainDateTime();
    const blackoutEnd = blackouts.blackoutEnd(local.toPlainDate());
    if (blackoutEnd !== undefined) {
      wall = Math.max(wall, firstWallAfterDate(blackoutEnd, timeZone));
      continue;
    }
    const end = start + durationMs;
    yield {
      windowId: window.id,
      start: zonedStart.toString({ timeZoneName: 'never' }),
      end: formatInstant(end, timeZone),
      startEpochMs: start,
      endEpochMs: end,
      localStart: local.toString(),
      ruleLocalStart: formatFloating(ruleWall),
    };
  }
}

/**
 * The earliest wall-clock time that can open after instant `after`. Wall time only increases
 * between transitions, so it is the lowest of the wall clock at `after` and just after each
 * transition that follows soon (a fall-back turns the clock back; two days is more than any
 * offset change, even Pacific/Apia's skipped day in 2011).
 */
function firstWallToScan(after: number, timeZone: string): number {
  let at = zoned(after, timeZone);
  let wall = plainToFloating(at.toPlainDateTime());
  for (;;) {
    const transition = at.getTimeZoneTransition('next');
    if (transition === null || transition.epochMilliseconds > after + 2 * DAY_MS) return wall;
    wall = Math.min(wall, plainToFloating(transition.toPlainDateTime()));
    at = transition;
  }
}

/**
 * The earliest wall time whose start can fall after local date `date`: the next midnight, or the
 * start of a DST gap that swallows that midnight (its wall times open on the next day).
 */
function firstWallAfterDate(date: Temporal.PlainDate, timeZone: string): number {
  const next = date.add({ days: 1 });
  const nextDayStarts = startOfLocalDay(next, timeZone);
  return Math.min(plainToFloating(next), instantToFloating(nextDayStarts - 1, timeZone) + 1);
}

function compileWindow(spec: unknown, path: string): CompiledWindow {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw invalidField(path, 'expected a maintenance window object');
  }
  const s = spec as Record<string, unknown>;
  if (typeof s.id !== 'string' || s.id.trim() === '')
    throw invalidField(`${path}.id`, 'expected a non-empty string');
  const id = s.id;
  if (s.name !== undefined && typeof s.name !== 'string')
    throw invalidField(`${path}.name`, 'expected a string', id);
  if (typeof s.timeZone !== 'string' || !isIanaTimeZone(s.timeZone)) {
    throw invalidField(`${path}.timeZone`, `unknown IANA time zone '${String(s.timeZone)}'`, id);
  }
  const timeZone = s.timeZone;
  const duration = s.durationMinutes;
  if (
    typeof duration !== 'number' ||
    !Number.isInteger(duration) ||
    duration <= 0 ||
    duration > MAX_DURATION_MINUTES
  ) {
    throw invalidField(
      `${path}.durationMinutes`,
      `expected whole minutes in 1..${MAX_DURATION_MINUTES} (7 days)`,
      id,
    );
  }
  const validFrom = validityBound(s.validFrom, `${path}.validFrom`, timeZone, 'from', id);
  const validUntil = validityBound(s.validUntil, `${path}.validUntil`, timeZone, 'until', id);
  if (validFrom && validUntil && validUntil.epochMs < validFrom.epochMs) {
    throw invalidField(`${path}.validUntil`, 'is before validFrom', id);
  }
  return {
    id,
    timeZone,
    durationMs: duration * 60_000,
    source: recurrenceSource(s.recurrence, `${path}.recurrence`, timeZone, validFrom?.wall, id),
    blackouts: BlackoutCalendar.parse(s.blackoutDates, `${path}.blackoutDates`, id),
    validFromMs: validFrom?.epochMs ?? -Infinity,
    validUntilMs: validUntil?.epochMs ?? Infinity,
  };
}

function recurrenceSource(
  recurrence: unknown,
  path: string,
  timeZone: string,
  defaultDtstart: number | undefined,
  id: string,
): WallClockSource {
  const keys = typeof recurrence === 'object' && recurrence !== null ? Object.keys(recurrence) : [];
  const kind = keys[0];
  if (keys.length !== 1 || (kind !== 'rrule' && kind !== 'cron' && kind !== 'patchTuesday')) {
    throw invalidField(path, 'expected exactly one of rrule, cron or patchTuesday', id);
  }
  const value = (recurrence as Record<string, unknown>)[kind];
  if (kind === 'cron') return cronSource(value, `${path}.cron`, id);
  if (kind === 'rrule') {
    const context = { timeZone, field: `${path}.rrule`, record: id };
    return rruleSource(value, defaultDtstart === undefined ? context : { ...context, defaultDtstart });
  }
  const pt = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const offset = pt.offsetDays;
  if (
    typeof offset !== 'number' ||
    !Number.isInteger(offset) ||
    offset < 0 ||
    offset > MAX_PATCH_TUESDAY_OFFSET
  ) {
    throw invalidField(
      `${path}.patchTuesday.offsetDays`,
      `expected a whole number of days in 0..${MAX_PATCH_TUESDAY_OFFSET}`,
      id,
    );
  }
  const time = typeof pt.startTime === 'string' ? /^([01]\d|2[0-3]):([0-5]\d)$/.exec(pt.startTime) : null;
  if (!time)
    throw invalidField(`${path}.patchTuesday.startTime`, `expected HH:MM, got '${String(pt.startTime)}'`, id);
  return patchTuesdaySource(offset, Number(time[1]), Number(time[2]));
}

interface ValidityBound {
  epochMs: number;
  /** Wall-clock time of the bound, used as the RRULE's DTSTART when it has none. */
  wall: number;
}

function validityBound(
  text: unknown,
  field: string,
  timeZone: string,
  side: 'from' | 'until',
  id: string,
): ValidityBound | undefined {
  if (text === undefined) return undefined;
  const date = parseLocalDate(text);
  if (date) {
    // A date bound includes the whole local day.
    if (side === 'from') return { epochMs: startOfLocalDay(date, timeZone), wall: plainToFloating(date) };
    const nextDay = date.add({ days: 1 });
    return { epochMs: startOfLocalDay(nextDay, timeZone) - 1, wall: plainToFloating(nextDay) - 1 };
  }
  const epochMs = parseRfc3339(text);
  if (epochMs === undefined) {
    throw invalidField(field, `bad date '${String(text)}' (YYYY-MM-DD or RFC 3339 with offset)`, id);
  }
  return { epochMs, wall: instantToFloating(epochMs, timeZone) };
}
