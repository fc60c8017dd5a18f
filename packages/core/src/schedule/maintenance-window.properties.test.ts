/**
 * Properties of maintenance windows across real IANA zones and years 2020-2032, with half of the
 * reference instants within three days of a DST transition. Every occurrence is checked against
 * an independent reading of the zone (Intl, brute force; testing/intl-clock.ts), not against
 * Temporal, which the implementation uses.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nextOccurrences, windowAt } from './maintenance-window.ts';
import type { MaintenanceWindowSpec, WindowOccurrence } from './maintenance-window.ts';
import {
  intlOffsetMinutes,
  intlWall,
  intlWallToInstant,
  isoWall,
  parseIsoWall,
} from './testing/intl-clock.ts';
import { transitions, ZONES, zoneAndInstant } from './testing/zone-arbitraries.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEKDAYS = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'];
const pad = (n: number) => String(n).padStart(2, '0');

type RuleCase =
  | { kind: 'quarter-hourly-cron' }
  | { kind: 'hourly-cron'; minute: number }
  | { kind: 'daily-rrule' | 'daily-cron'; hour: number; minute: number }
  | { kind: 'weekly-rrule' | 'weekly-cron'; hour: number; minute: number; weekday: number }
  | { kind: 'patch-tuesday'; hour: number; minute: number; offsetDays: number };

// Transitions happen at 00:00, 01:00, 02:00, 02:45, 03:00 local: favour those hours.
const hour = fc.oneof(fc.constantFrom(0, 1, 2, 3, 23), fc.integer({ min: 0, max: 23 }));
const minute = fc.oneof(fc.constantFrom(0, 15, 30, 45), fc.integer({ min: 0, max: 59 }));

const ruleCase: fc.Arbitrary<RuleCase> = fc.oneof(
  fc.constant({ kind: 'quarter-hourly-cron' as const }),
  minute.map((m) => ({ kind: 'hourly-cron' as const, minute: m })),
  fc.record({ kind: fc.constantFrom('daily-rrule' as const, 'daily-cron' as const), hour, minute }),
  fc.record({
    kind: fc.constantFrom('weekly-rrule' as const, 'weekly-cron' as const),
    hour,
    minute,
    weekday: fc.integer({ min: 0, max: 6 }),
  }),
  fc.record({
    kind: fc.constant('patch-tuesday' as const),
    hour,
    minute,
    offsetDays: fc.integer({ min: 0, max: 28 }),
  }),
);

function recurrence(c: RuleCase): MaintenanceWindowSpec['recurrence'] {
  switch (c.kind) {
    case 'quarter-hourly-cron':
      return { cron: '*/15 * * * *' };
    case 'hourly-cron':
      return { cron: `${c.minute} * * * *` };
    case 'daily-cron':
      return { cron: `${c.minute} ${c.hour} * * *` };
    case 'weekly-cron':
      return { cron: `${c.minute} ${c.hour} * * ${c.weekday}` };
    case 'daily-rrule':
      return { rrule: `DTSTART:20190101T${pad(c.hour)}${pad(c.minute)}00\nRRULE:FREQ=DAILY` };
    case 'weekly-rrule':
      return {
        rrule: `DTSTART:20190101T${pad(c.hour)}${pad(c.minute)}00\nRRULE:FREQ=WEEKLY;BYDAY=${WEEKDAYS[c.weekday]}`,
      };
    case 'patch-tuesday':
      return { patchTuesday: { offsetDays: c.offsetDays, startTime: `${pad(c.hour)}:${pad(c.minute)}` } };
  }
}

/** Longest window that keeps the test meaningful for the rule's period. */
function maxDuration(c: RuleCase): number {
  if (c.kind === 'quarter-hourly-cron') return 60;
  if (c.kind === 'hourly-cron') return 180;
  if (c.kind === 'daily-rrule' || c.kind === 'daily-cron') return 1439;
  return 7 * 24 * 60;
}

/** Shortest real time between two rule starts (DST shortens a day by up to an hour). */
function minPeriodMs(c: RuleCase): number {
  if (c.kind === 'quarter-hourly-cron') return 15 * MINUTE;
  if (c.kind === 'hourly-cron') return HOUR;
  if (c.kind === 'daily-rrule' || c.kind === 'daily-cron') return DAY - HOUR;
  return 7 * DAY - HOUR;
}

/** Second Tuesday by plain Date arithmetic (independent of patch-tuesday.ts). */
function secondTuesdayFloating(year: number, month: number): number {
  const firstWeekday = new Date(Date.UTC(year, month - 1, 1)).getUTCDay();
  return Date.UTC(year, month - 1, 1 + ((2 - firstWeekday + 7) % 7) + 7);
}

function patchTuesdayWall(
  c: { hour: number; minute: number; offsetDays: number },
  year: number,
  month: number,
) {
  return secondTuesdayFloating(year, month) + c.offsetDays * DAY + c.hour * HOUR + c.minute * MINUTE;
}

/** Does the wall-clock time `w` belong to the rule? */
function matchesRule(c: RuleCase, w: number): boolean {
  const d = new Date(w);
  if (d.getUTCSeconds() !== 0 || d.getUTCMilliseconds() !== 0) return false;
  switch (c.kind) {
    case 'quarter-hourly-cron':
      return d.getUTCMinutes() % 15 === 0;
    case 'hourly-cron':
      return d.getUTCMinutes() === c.minute;
    case 'daily-rrule':
    case 'daily-cron':
      return d.getUTCHours() === c.hour && d.getUTCMinutes() === c.minute;
    case 'weekly-rrule':
    case 'weekly-cron':
      return d.getUTCHours() === c.hour && d.getUTCMinutes() === c.minute && d.getUTCDay() === c.weekday;
    case 'patch-tuesday': {
      const tuesday = new Date(w - c.offsetDays * DAY);
      return patchTuesdayWall(c, tuesday.getUTCFullYear(), tuesday.getUTCMonth() + 1) === w;
    }
  }
}

/** The rule's next (+1) or previous (-1) wall-clock start after a matching one. */
function stepRule(c: RuleCase, w: number, direction: 1 | -1): number {
  switch (c.kind) {
    case 'quarter-hourly-cron':
      return w + direction * 15 * MINUTE;
    case 'hourly-cron':
      return w + direction * HOUR;
    case 'daily-rrule':
    case 'daily-cron':
      return w + direction * DAY;
    case 'weekly-rrule':
    case 'weekly-cron':
      return w + direction * 7 * DAY;
    case 'patch-tuesday': {
      const tuesday = new Date(w - c.offsetDays * DAY);
      const next = new Date(Date.UTC(tuesday.getUTCFullYear(), tuesday.getUTCMonth() + direction, 1));
      return patchTuesdayWall(c, next.getUTCFullYear(), next.getUTCMonth() + 1);
    }
  }
}

interface Blackout {
  from: string;
  to: string;
}
const isBlackedOut = (date: string, blackouts: Blackout[]) =>
  blackouts.some((b) => b.from <= date && date <= b.to);
const localDateOf = (epochMs: number, zone: string) => isoWall(intlWall(epochMs, zone)).slice(0, 10);

/** Up to three blackouts within a few weeks of the reference instant. */
function blackoutsNear(zone: string, from: number) {
  const blackout = fc
    .tuple(fc.integer({ min: -3, max: 40 }), fc.integer({ min: 0, max: 4 }))
    .map(([startDay, length]) => {
      const first = isoWall(intlWall(from, zone) + startDay * DAY).slice(0, 10);
      const last = isoWall(parseIsoWall(`${first}T00:00:00`) + length * DAY).slice(0, 10);
      return { from: first, to: last };
    });
  return fc.array(blackout, { maxLength: 3 });
}

const offsetOf = (rfc3339: string) => {
  const match = /([+-])(\d{2}):(\d{2})$/.exec(rfc3339);
  if (!match) return NaN;
  return (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3]));
};

const stats = { runs: 0, occurrences: 0, gap: 0, fold: 0, blackedOut: 0, collapsed: 0, crossingDst: 0 };

function scenarioFor(zone: string, from: number, rule: RuleCase) {
  return fc.record({
    zone: fc.constant(zone),
    from: fc.constant(from),
    rule: fc.constant(rule),
    duration: fc.oneof(
      fc.constantFrom(1, 60, 240, maxDuration(rule)),
      fc.integer({ min: 1, max: maxDuration(rule) }),
    ),
    blackouts: blackoutsNear(zone, from),
  });
}

const randomScenario = zoneAndInstant.chain(([zone, from]) =>
  ruleCase.chain((rule) => scenarioFor(zone, from, rule)),
);

/** Rules whose local time sits within 90 minutes of where a transition moves the wall clock. */
const dstScenario = fc
  .constantFrom(...ZONES.filter((zone) => transitions(zone).length > 0))
  .chain((zone) =>
    fc.tuple(
      fc.constant(zone),
      fc.constantFrom(...transitions(zone)),
      fc.integer({ min: -90, max: 90 }),
      fc.oneof(fc.integer({ min: 0, max: 2 * HOUR }), fc.integer({ min: 0, max: 3 * DAY })),
      fc.constantFrom(
        'quarter-hourly-cron',
        'hourly-cron',
        'daily-rrule',
        'daily-cron',
        'weekly-rrule',
        'weekly-cron',
      ),
    ),
  )
  .chain(([zone, transition, delta, back, kind]) => {
    const wall = new Date(intlWall(transition - 1, zone) + 1 + delta * MINUTE);
    const time = { hour: wall.getUTCHours(), minute: wall.getUTCMinutes() };
    const rule: RuleCase =
      kind === 'quarter-hourly-cron'
        ? { kind }
        : kind === 'hourly-cron'
          ? { kind, minute: time.minute }
          : kind === 'weekly-rrule' || kind === 'weekly-cron'
            ? { kind, ...time, weekday: wall.getUTCDay() }
            : { kind, ...time };
    return scenarioFor(zone, transition - back, rule);
  });

const scenario = fc.oneof(randomScenario, dstScenario);

function specOf(s: {
  zone: string;
  rule: RuleCase;
  duration: number;
  blackouts: Blackout[];
}): MaintenanceWindowSpec {
  return {
    id: 'w',
    timeZone: s.zone,
    recurrence: recurrence(s.rule),
    durationMinutes: s.duration,
    blackoutDates: s.blackouts.map((b) => (b.from === b.to ? b.from : `${b.from}..${b.to}`)),
  };
}

describe('maintenance window properties (Intl oracle)', () => {
  it('occurrences follow the rule, the DST rules, the duration and the blackouts', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { zone, from, rule, duration, blackouts } = s;
        const durationMs = duration * MINUTE;
        const occurrences = nextOccurrences(specOf(s), from, 6);
        stats.runs += 1;
        expect(occurrences).toHaveLength(6);
        const blackedOut = (w: number) =>
          isBlackedOut(localDateOf(intlWallToInstant(w, zone).epochMs, zone), blackouts);

        occurrences.forEach((o, i) => {
          stats.occurrences += 1;
          expect(o.endEpochMs - o.startEpochMs).toBe(durationMs);
          expect(Date.parse(o.start)).toBe(o.startEpochMs);
          expect(Date.parse(o.end)).toBe(o.endEpochMs);
          expect(offsetOf(o.start)).toBe(intlOffsetMinutes(o.startEpochMs, zone));
          expect(offsetOf(o.end)).toBe(intlOffsetMinutes(o.endEpochMs, zone));
          if (offsetOf(o.start) !== offsetOf(o.end)) stats.crossingDst += 1;
          expect(o.localStart).toBe(isoWall(intlWall(o.startEpochMs, zone)));
          expect(isBlackedOut(o.localStart.slice(0, 10), blackouts)).toBe(false);

          const ruleWall = parseIsoWall(o.ruleLocalStart);
          expect(matchesRule(rule, ruleWall)).toBe(true);
          const expected = intlWallToInstant(ruleWall, zone);
          expect(o.startEpochMs).toBe(expected.epochMs);
          if (expected.kind === 'gap') {
            stats.gap += 1;
            // Opens at the first instant after the gap: the wall clock jumped past the rule's time.
            expect(o.localStart > o.ruleLocalStart).toBe(true);
            expect(intlWall(o.startEpochMs - 1, zone)).toBeLessThan(ruleWall);
          } else {
            expect(o.localStart).toBe(o.ruleLocalStart);
            if (expected.kind === 'fold') stats.fold += 1;
          }

          const next = occurrences[i + 1];
          if (!next) return;
          expect(next.startEpochMs).toBeGreaterThan(o.startEpochMs);
          // Nothing the rule asked for between two occurrences is missing, unless it is blacked
          // out or opens at an instant already used (several wall times of one DST gap).
          for (
            let w = stepRule(rule, ruleWall, 1);
            w < parseIsoWall(next.ruleLocalStart);
            w = stepRule(rule, w, 1)
          ) {
            const skipped = intlWallToInstant(w, zone).epochMs;
            if (skipped <= o.startEpochMs) stats.collapsed += 1;
            else if (blackedOut(w)) stats.blackedOut += 1;
            else expect.unreachable(`rule time ${isoWall(w)} in ${zone} has no window`);
          }
        });

        const first = occurrences[0] as WindowOccurrence;
        expect(first.endEpochMs).toBeGreaterThan(from);
        // The rule times just before the first one are closed at `from`, or blacked out.
        let w = parseIsoWall(first.ruleLocalStart);
        for (let k = 0; k < Math.ceil(durationMs / minPeriodMs(rule)) + 2; k++) {
          w = stepRule(rule, w, -1);
          const start = intlWallToInstant(w, zone).epochMs;
          if (start >= first.startEpochMs) continue;
          expect(start + durationMs <= from || blackedOut(w)).toBe(true);
        }
      }),
      { numRuns: 250 },
    );
    console.log(`maintenance windows vs Intl oracle: ${JSON.stringify(stats)}`);
    // The inputs must keep reaching the cases this module exists for.
    expect(stats.gap).toBeGreaterThan(0);
    expect(stats.fold).toBeGreaterThan(0);
    expect(stats.crossingDst).toBeGreaterThan(0);
    expect(stats.blackedOut).toBeGreaterThan(0);
    expect(stats.collapsed).toBeGreaterThan(0);
  });

  it('windowAt agrees with nextOccurrences at window edges and in between', () => {
    fc.assert(
      fc.property(
        scenario,
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 5 }),
        (s, fractions) => {
          const spec = specOf(s);
          const occurrences = nextOccurrences(spec, s.from, 4);
          const last = occurrences[occurrences.length - 1] as WindowOccurrence;
          const edges = occurrences.flatMap((o) => [
            o.startEpochMs - 1,
            o.startEpochMs,
            o.endEpochMs - 1,
            o.endEpochMs,
          ]);
          const inside = fractions.map((f) => Math.floor(s.from + f * (last.startEpochMs - s.from)));
          for (const x of [s.from, ...edges, ...inside]) {
            // Every window containing x starts at or before x, so within this range the list is complete.
            if (x < s.from || x > last.startEpochMs) continue;
            const open = occurrences.find((o) => o.startEpochMs <= x && x < o.endEpochMs);
            expect(windowAt(spec, x)).toEqual(open);
            expect(nextOccurrences(spec, x, 1)[0]).toEqual(occurrences.find((o) => o.endEpochMs > x));
          }
        },
      ),
      { numRuns: 120 },
    );
  });

  it('cron and RRULE agree on the same daily and weekly rules', () => {
    fc.assert(
      fc.property(
        zoneAndInstant,
        hour,
        minute,
        fc.integer({ min: 0, max: 6 }),
        fc.boolean(),
        ([zone, from], h, m, weekday, weekly) => {
          const base = { id: 'w', timeZone: zone, durationMinutes: 90 };
          const rule = weekly ? `FREQ=WEEKLY;BYDAY=${WEEKDAYS[weekday]}` : 'FREQ=DAILY';
          const rrule = nextOccurrences(
            { ...base, recurrence: { rrule: `DTSTART:20190101T${pad(h)}${pad(m)}00\nRRULE:${rule}` } },
            from,
            5,
          );
          const cron = nextOccurrences(
            { ...base, recurrence: { cron: `${m} ${h} * * ${weekly ? weekday : '*'}` } },
            from,
            5,
          );
          expect(rrule).toEqual(cron);
        },
      ),
      { numRuns: 150 },
    );
  });
});
