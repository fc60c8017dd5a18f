import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PatchwardenError } from '../errors/index.ts';
import type { AssetClass } from '../assets/index.ts';
import { CADENCES, DEFAULT_SCHEDULES, nextScheduledCycle, scheduleFor } from './patch-schedule.ts';
import type { Cadence } from './patch-schedule.ts';
import { intlWall, intlWallToInstant, isoWall, parseIsoWall } from './testing/intl-clock.ts';
import { zoneAndInstant } from './testing/zone-arbitraries.ts';

const DAY = 86_400_000;
const at = (rfc3339: string) => Date.parse(rfc3339);

function fieldOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(PatchwardenError);
    expect((error as PatchwardenError).code).toBe('PW_ERR_INVALID_RECORD');
    return (error as PatchwardenError).details.field;
  }
  return undefined;
}

describe('DEFAULT_SCHEDULES and scheduleFor', () => {
  it('ships the documented defaults', () => {
    const byCadence = (c: Cadence) =>
      Object.entries(DEFAULT_SCHEDULES)
        .filter(([, v]) => v === c)
        .map(([k]) => k)
        .sort();
    expect(byCadence('monthly')).toEqual([
      'anti-malware',
      'os',
      'security-tooling',
      'server-app',
      'vpn-client',
    ]);
    expect(byCadence('quarterly')).toEqual(['appliance', 'hypervisor', 'management-tooling']);
    expect(byCadence('half-yearly')).toEqual(['driver', 'firmware', 'management-app']);
    expect(byCadence('weekly')).toEqual([]);
    expect(Object.isFrozen(DEFAULT_SCHEDULES)).toBe(true);
  });

  it('picks the most frequent cadence among the classes, after overrides', () => {
    expect(scheduleFor(['firmware', 'os'])).toBe('monthly');
    expect(scheduleFor(['firmware', 'driver'])).toBe('half-yearly');
    expect(scheduleFor(['hypervisor', 'firmware'])).toBe('quarterly');
    expect(scheduleFor(['os', 'driver'], { os: 'quarterly' })).toBe('quarterly');
    expect(scheduleFor(['firmware', 'appliance'], { firmware: 'weekly' })).toBe('weekly');
    expect(scheduleFor([])).toBeUndefined();
  });

  it('is the minimum over the classes for any set and overrides', () => {
    const classes = Object.keys(DEFAULT_SCHEDULES) as AssetClass[];
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.constantFrom(...classes), { minLength: 1 }),
        fc.dictionary(fc.constantFrom(...classes), fc.constantFrom(...CADENCES)),
        (chosen, overrides) => {
          const cadence = scheduleFor(chosen, overrides) as Cadence;
          const each = chosen.map((c) => overrides[c] ?? DEFAULT_SCHEDULES[c]);
          expect(each).toContain(cadence);
          for (const c of each) expect(CADENCES.indexOf(cadence)).toBeLessThanOrEqual(CADENCES.indexOf(c));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('names the bad class or override', () => {
    expect(fieldOf(() => scheduleFor(['os', 'toaster' as AssetClass]))).toBe('assetClasses[1]');
    expect(fieldOf(() => scheduleFor(['os'], { os: 'daily' as Cadence }))).toBe('overrides.os');
  });
});

describe('nextScheduledCycle', () => {
  it('monthly, quarterly and half-yearly cycles start on local calendar boundaries', () => {
    expect(nextScheduledCycle('monthly', '2026-01-01', at('2026-03-15T12:00:00Z'), 'Europe/Berlin')).toEqual({
      cadence: 'monthly',
      localStartDate: '2026-04-01',
      start: '2026-04-01T00:00:00+02:00',
      startEpochMs: at('2026-03-31T22:00:00Z'),
      end: '2026-05-01T00:00:00+02:00',
      endEpochMs: at('2026-04-30T22:00:00Z'),
    });
    const quarterly = nextScheduledCycle(
      'quarterly',
      '2026-01-01',
      at('2026-05-05T00:00:00Z'),
      'America/Santiago',
    );
    // July is winter (-04) in Santiago, October spring (-03).
    expect([quarterly.start, quarterly.end]).toEqual([
      '2026-07-01T00:00:00-04:00',
      '2026-10-01T00:00:00-03:00',
    ]);
    const halfYear = nextScheduledCycle(
      'half-yearly',
      '2026-01-01',
      at('2026-02-01T00:00:00Z'),
      'Pacific/Chatham',
    );
    expect([halfYear.start, halfYear.end]).toEqual([
      '2026-07-01T00:00:00+12:45',
      '2027-01-01T00:00:00+13:45',
    ]);
  });

  it('counts a boundary reached exactly, and not one passed by a millisecond', () => {
    const boundary = at('2026-06-30T22:00:00Z'); // 1 July 00:00 in Berlin
    expect(nextScheduledCycle('monthly', '2026-01-01', boundary, 'Europe/Berlin').localStartDate).toBe(
      '2026-07-01',
    );
    expect(nextScheduledCycle('monthly', '2026-01-01', boundary + 1, 'Europe/Berlin').localStartDate).toBe(
      '2026-08-01',
    );
    // 23:30 on 31 December in Kolkata is still 2026 there, though 2026-12-31T18:00Z.
    expect(
      nextScheduledCycle('quarterly', '2026-01-01', at('2026-12-31T18:00:00Z'), 'Asia/Kolkata')
        .localStartDate,
    ).toBe('2027-01-01');
  });

  it('weekly cycles fall on the anchor weekday; nothing starts before the anchor', () => {
    // 7 January 2026 is a Wednesday.
    expect(nextScheduledCycle('weekly', '2026-01-07', at('2026-05-05T00:00:00Z'), 'UTC').localStartDate).toBe(
      '2026-05-06',
    );
    expect(
      nextScheduledCycle('monthly', '2026-08-15', at('2026-05-01T00:00:00Z'), 'UTC').localStartDate,
    ).toBe('2026-09-01');
    expect(nextScheduledCycle('weekly', '2026-08-15', at('2026-05-01T00:00:00Z'), 'UTC').localStartDate).toBe(
      '2026-08-15',
    );
  });

  it('starts a cycle whose midnight does not exist at the end of the gap', () => {
    // Santiago skips 00:00-01:00 on 6 September 2026.
    const cycle = nextScheduledCycle('weekly', '2026-09-06', at('2026-09-01T00:00:00Z'), 'America/Santiago');
    expect(cycle.start).toBe('2026-09-06T01:00:00-03:00');
    expect(cycle.end).toBe('2026-09-13T00:00:00-03:00');
    expect(cycle.endEpochMs - cycle.startEpochMs).toBe(7 * DAY - 3_600_000);
  });

  it('names the bad argument', () => {
    expect(fieldOf(() => nextScheduledCycle('daily' as Cadence, '2026-01-01', 0, 'UTC'))).toBe('cadence');
    expect(fieldOf(() => nextScheduledCycle('monthly', '2026-02-30', 0, 'UTC'))).toBe('anchorDate');
    expect(fieldOf(() => nextScheduledCycle('monthly', '2026-01-01', 0, 'Mars/Base'))).toBe('timeZone');
    expect(fieldOf(() => nextScheduledCycle('monthly', '2026-01-01', Number.NaN, 'UTC'))).toBe('fromEpochMs');
  });

  it('is the first boundary at or after `from` and the anchor, at the start of that local day (Intl oracle)', () => {
    const isBoundary = (cadence: Cadence, date: string, anchor: string) => {
      const [, month, day] = date.split('-').map(Number);
      if (cadence === 'weekly')
        return ((parseIsoWall(`${date}T00:00:00`) - parseIsoWall(`${anchor}T00:00:00`)) / DAY) % 7 === 0;
      const months = cadence === 'monthly' ? 1 : cadence === 'quarterly' ? 3 : 6;
      return day === 1 && ((month ?? 0) - 1) % months === 0;
    };
    const startOfDay = (date: string, zone: string) =>
      intlWallToInstant(parseIsoWall(`${date}T00:00:00`), zone).epochMs;
    const dayBefore = (date: string) => isoWall(parseIsoWall(`${date}T00:00:00`) - DAY).slice(0, 10);
    fc.assert(
      fc.property(
        zoneAndInstant,
        fc.constantFrom(...CADENCES),
        fc.integer({ min: -400, max: 400 }),
        ([zone, from], cadence, anchorShift) => {
          const anchor = isoWall(intlWall(from, zone) + anchorShift * DAY).slice(0, 10);
          const cycle = nextScheduledCycle(cadence, anchor, from, zone);
          expect(isBoundary(cadence, cycle.localStartDate, anchor)).toBe(true);
          expect(cycle.localStartDate >= anchor).toBe(true);
          expect(cycle.startEpochMs).toBe(startOfDay(cycle.localStartDate, zone));
          expect(cycle.startEpochMs).toBeGreaterThanOrEqual(from);
          expect(Date.parse(cycle.start)).toBe(cycle.startEpochMs);
          expect(Date.parse(cycle.end)).toBe(cycle.endEpochMs);
          // No boundary in between was missed.
          const fromDate = isoWall(intlWall(from, zone)).slice(0, 10);
          for (let d = dayBefore(cycle.localStartDate); d >= anchor && d >= fromDate; d = dayBefore(d)) {
            if (d === fromDate && startOfDay(d, zone) < from) break;
            expect(isBoundary(cadence, d, anchor)).toBe(false);
          }
          // The cycle ends where the next one starts.
          const next = nextScheduledCycle(cadence, anchor, cycle.startEpochMs + 1, zone);
          expect(next.startEpochMs).toBe(cycle.endEpochMs);
        },
      ),
      { numRuns: 200 },
    );
  });
});
