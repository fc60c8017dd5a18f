import fc from 'fast-check';
import rrulePkg from 'rrule';
import { describe, expect, it } from 'vitest';
import { PatchwardenError } from '../errors/index.ts';
import { rruleSource } from './rrule-source.ts';
import { isoWall, parseIsoWall } from './testing/intl-clock.ts';

const { rrulestr } = rrulePkg;
const ctx = { timeZone: 'Europe/Berlin', field: 'windows[0].recurrence.rrule', record: 'w' };
const DAY = 86_400_000;
const YEAR = 365 * DAY;

/** The next `count` starts at or after `from`, as local wall-clock strings. */
function take(text: string, from: string, count: number): string[] {
  const source = rruleSource(text, ctx);
  const out: string[] = [];
  let at: number | undefined = parseIsoWall(from);
  while (out.length < count && (at = source.firstAtOrAfter(at)) !== undefined) {
    out.push(isoWall(at));
    at += 1;
  }
  return out;
}

function rejection(text: string): string {
  try {
    rruleSource(text, ctx);
  } catch (error) {
    expect(error).toBeInstanceOf(PatchwardenError);
    expect((error as PatchwardenError).code).toBe('PW_ERR_INVALID_RECORD');
    expect((error as PatchwardenError).details.field).toBe('windows[0].recurrence.rrule');
    return (error as PatchwardenError).message;
  }
  throw new Error(`accepted: ${text}`);
}

describe('rruleSource', () => {
  it('generates wall-clock times, with DTSTART floating or in the window zone', () => {
    const monthly = 'DTSTART:20260101T220000\nRRULE:FREQ=MONTHLY;BYDAY=2TU';
    expect(take(monthly, '2026-01-01T00:00:00', 3)).toEqual([
      '2026-01-13T22:00:00',
      '2026-02-10T22:00:00',
      '2026-03-10T22:00:00',
    ]);
    expect(
      take(
        'DTSTART;TZID=Europe/Berlin:20260101T220000\nRRULE:FREQ=MONTHLY;BYDAY=2TU',
        '2026-01-01T00:00:00',
        3,
      ),
    ).toEqual(take(monthly, '2026-01-01T00:00:00', 3));
    // A daily 02:30 is 02:30 on the wall even on the spring-forward day (the instant is local-time.ts's job).
    expect(take('DTSTART:20260101T023000\nRRULE:FREQ=DAILY', '2026-03-29T00:00:00', 1)).toEqual([
      '2026-03-29T02:30:00',
    ]);
  });

  it('honours COUNT and UNTIL, reading a Z UNTIL as an instant in the zone', () => {
    expect(take('DTSTART:20260105T220000\nRRULE:FREQ=WEEKLY;COUNT=2', '2020-01-01T00:00:00', 5)).toEqual([
      '2026-01-05T22:00:00',
      '2026-01-12T22:00:00',
    ]);
    // 21:00Z on 12 January is 22:00 in Berlin: the second start is included, inclusive.
    expect(
      take('DTSTART:20260105T220000\nRRULE:FREQ=WEEKLY;UNTIL=20260112T210000Z', '2026-01-01T00:00:00', 5),
    ).toEqual(['2026-01-05T22:00:00', '2026-01-12T22:00:00']);
  });

  it('returns nothing, quickly, for rules that never fire', () => {
    const started = performance.now();
    expect(
      take('DTSTART:20260101T000000\nRRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30', '2026-01-01T00:00:00', 1),
    ).toEqual([]);
    expect(
      take('DTSTART:20260101T000000\nRRULE:FREQ=MONTHLY;BYMONTH=4;BYMONTHDAY=31', '2026-01-01T00:00:00', 1),
    ).toEqual([]);
    expect(
      take('DTSTART:20260101T000000\nRRULE:FREQ=DAILY;INTERVAL=7;BYDAY=TU', '2026-01-01T00:00:00', 1),
    ).toEqual([]);
    expect(
      take('DTSTART:20260101T000000\nRRULE:FREQ=YEARLY;BYWEEKNO=1;BYMONTH=6', '2026-01-01T00:00:00', 1),
    ).toEqual([]);
    // Unbounded, rrule would walk to the year 9999 for each of these (about 19 s for the first).
    expect(performance.now() - started).toBeLessThan(3_000);
  });

  it('refuses what rrule would accept and then misbehave on', () => {
    expect(rejection('RRULE:FREQ=DAILY;BYHOUR=25')).toMatch(/BYHOUR value '25' is outside 0..23/);
    expect(rejection('DTSTART:20260101T000000\nRRULE:FREQ=DAILY;BYDAY=XX')).toMatch(/bad weekday 'XX'/);
    expect(rejection('DTSTART:20260101T000000\nRRULE:FREQ=FORTNIGHTLY')).toMatch(/FREQ must be one of/);
    expect(rejection('DTSTART:20260101T000000\nRRULE:FREQ=MINUTELY')).toMatch(/FREQ must be one of/);
    expect(rejection('DTSTART:20260101T000000\nRRULE:FREQ=DAILY;INTERVAL=0')).toMatch(
      /INTERVAL must be a positive/,
    );
    expect(rejection('DTSTART:20260101T000000\nRRULE:FREQ=DAILY;COUNT=2;UNTIL=20270101')).toMatch(
      /COUNT and UNTIL/,
    );
    expect(rejection('DTSTART:20260101T000000\nRRULE:FREQ=WEEKLY;BYDAY=2TU')).toMatch(/numbered BYDAY/);
    expect(rejection('DTSTART:20260101T000000\nRRULE:FREQ=MONTHLY;BYWEEKNO=3')).toMatch(/BYWEEKNO/);
    expect(rejection('DTSTART:20260101T000000\nRRULE:FREQ=MONTHLY;BYDAY=6FR')).toMatch(/at most 5/);
    expect(rejection('DTSTART:20260101T000000\nRRULE:FREQ=DAILY;FOO=1')).toMatch(
      /unsupported RRULE part FOO/,
    );
    expect(rejection('DTSTART:20260101T000000Z\nRRULE:FREQ=DAILY')).toMatch(/no Z/);
    expect(rejection('DTSTART;TZID=America/New_York:20260101T000000\nRRULE:FREQ=DAILY')).toMatch(
      /differs from/,
    );
    expect(rejection('DTSTART:20260230T000000\nRRULE:FREQ=DAILY')).toMatch(/not a real date-time/);
    expect(rejection('RRULE:FREQ=DAILY')).toMatch(/DTSTART .* or validFrom is required/);
    expect(rejection('DTSTART:20260101T000000\nRRULE:FREQ=DAILY\nEXDATE:20260102T000000')).toMatch(
      /blackoutDates/,
    );
    // Sub-daily rules are refused: rrule loops forever on this one (an odd BYHOUR from an even start).
    expect(rejection('DTSTART:20260101T000000\nRRULE:FREQ=HOURLY;INTERVAL=2;BYHOUR=1')).toMatch(
      /FREQ must be one of/,
    );
    expect(rejection('DTSTART:20260101T000000\nRRULE:FREQ=DAILY;FREQ=WEEKLY')).toMatch(/repeats FREQ/);
  });

  it('agrees with rrule run from the original DTSTART (re-basing changes nothing)', () => {
    const ruleText = fc
      .record({
        freq: fc.constantFrom('YEARLY', 'MONTHLY', 'WEEKLY', 'DAILY'),
        interval: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 5 })),
        dtstart: fc
          .integer({ min: Date.UTC(2015, 0, 1), max: Date.UTC(2026, 0, 1) })
          .map((t) => Math.floor(t / 60_000) * 60_000),
        bymonth: fc.option(fc.uniqueArray(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 4 }), {
          nil: undefined,
        }),
        bymonthday: fc.option(
          fc.uniqueArray(
            fc.integer({ min: -28, max: 28 }).filter((n) => n !== 0),
            { minLength: 1, maxLength: 3 },
          ),
          { nil: undefined },
        ),
        byday: fc.option(
          fc.uniqueArray(fc.constantFrom('MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'), {
            minLength: 1,
            maxLength: 3,
          }),
          { nil: undefined },
        ),
        nth: fc.option(fc.constantFrom(1, 2, -1, 4), { nil: undefined }),
        byhour: fc.option(fc.uniqueArray(fc.integer({ min: 0, max: 23 }), { minLength: 1, maxLength: 3 }), {
          nil: undefined,
        }),
        byminute: fc.option(fc.uniqueArray(fc.integer({ min: 0, max: 59 }), { minLength: 1, maxLength: 2 }), {
          nil: undefined,
        }),
        bysetpos: fc.option(fc.constantFrom(1, -1), { nil: undefined }),
        wkst: fc.option(fc.constantFrom('MO', 'SU', 'WE'), { nil: undefined }),
        count: fc.option(fc.integer({ min: 1, max: 400 }), { nil: undefined }),
        queryOffset: fc.double({ min: -0.1, max: 1, noNaN: true }),
      })
      .map((r) => {
        const parts = [`FREQ=${r.freq}`];
        if (r.interval > 1) parts.push(`INTERVAL=${r.interval}`);
        // Only rules that fire: the reference (plain rrule) would walk to the year 9999 otherwise.
        // So no BYMONTH with a MONTHLY INTERVAL, no day of month past the 28th, no day of month
        // with a numbered weekday, and BYSETPOS only as first or last.
        // Sorted, because plain rrule emits BYHOUR=1,0 as 01:00 before 00:00 (rrule-source sorts).
        for (const list of [r.bymonth, r.bymonthday, r.byhour, r.byminute]) list?.sort((a, b) => a - b);
        if (r.bymonth && !(r.freq === 'MONTHLY' && r.interval > 1))
          parts.push(`BYMONTH=${r.bymonth.join(',')}`);
        const numbered = r.nth !== undefined && (r.freq === 'MONTHLY' || r.freq === 'YEARLY');
        if (r.bymonthday && r.freq !== 'WEEKLY' && !(numbered && r.byday))
          parts.push(`BYMONTHDAY=${r.bymonthday.join(',')}`);
        if (r.byday) parts.push(`BYDAY=${r.byday.map((d) => (numbered ? `${r.nth}${d}` : d)).join(',')}`);
        if (r.byhour) parts.push(`BYHOUR=${r.byhour.join(',')}`);
        if (r.byminute) parts.push(`BYMINUTE=${r.byminute.join(',')}`);
        if (r.bysetpos && parts.length > 2) parts.push(`BYSETPOS=${r.bysetpos}`);
        if (r.wkst) parts.push(`WKST=${r.wkst}`);
        if (r.count) parts.push(`COUNT=${r.count}`);
        const dtstart = isoWall(r.dtstart).replace(/[-:]/g, '');
        const reach = r.freq === 'DAILY' ? 4 * YEAR : 12 * YEAR;
        return {
          text: `DTSTART:${dtstart}\nRRULE:${parts.join(';')}`,
          from: r.dtstart + Math.floor((r.queryOffset * reach) / 1000) * 1000,
        };
      });
    fc.assert(
      fc.property(ruleText, ({ text, from }) => {
        const reference: string[] = [];
        const horizon = from + 10 * YEAR;
        rrulestr(text).between(new Date(from), new Date(horizon), true, (date) => {
          reference.push(isoWall(date.getTime()));
          return reference.length < 6;
        });
        const ours = take(text, isoWall(from), 6);
        expect(ours.slice(0, reference.length)).toEqual(reference);
        // The reference stops at ten years from `from`; the source looks ten years past each start.
        const more = ours[reference.length];
        if (reference.length < 6 && more !== undefined) expect(parseIsoWall(more)).toBeGreaterThan(horizon);
      }),
      { numRuns: 150 },
    );
  });
});
