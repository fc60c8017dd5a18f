import { describe, expect, it } from 'vitest';
import { PatchwardenError } from '../errors/index.ts';
import {
  firstWindowAtOrAfter,
  nextOccurrences,
  validateWindowSpec,
  validateWindowSpecs,
  windowAt,
} from './maintenance-window.ts';
import type { MaintenanceWindowSpec } from './maintenance-window.ts';

const at = (rfc3339: string) => Date.parse(rfc3339);
const starts = (spec: MaintenanceWindowSpec, from: string, count: number) =>
  nextOccurrences(spec, at(from), count).map((o) => o.start);

const berlinDaily: MaintenanceWindowSpec = {
  id: 'berlin-nightly',
  timeZone: 'Europe/Berlin',
  recurrence: { rrule: 'DTSTART:20260101T023000\nRRULE:FREQ=DAILY' },
  durationMinutes: 240,
};

describe('hand-checked windows', () => {
  it('Europe/Berlin daily 02:30 opens at 03:00 CEST on the spring-forward day (02:00 -> 03:00)', () => {
    const [before, gapDay, after] = nextOccurrences(berlinDaily, at('2026-03-28T00:00:00Z'), 3);
    expect(before).toMatchObject({ start: '2026-03-28T02:30:00+01:00', end: '2026-03-28T06:30:00+01:00' });
    expect(gapDay).toEqual({
      windowId: 'berlin-nightly',
      start: '2026-03-29T03:00:00+02:00',
      end: '2026-03-29T07:00:00+02:00',
      startEpochMs: at('2026-03-29T01:00:00Z'),
      endEpochMs: at('2026-03-29T05:00:00Z'),
      localStart: '2026-03-29T03:00:00',
      ruleLocalStart: '2026-03-29T02:30:00',
    });
    expect(after?.start).toBe('2026-03-30T02:30:00+02:00');
  });

  it('Europe/Berlin daily 02:30 opens once, at the first 02:30 (CEST), on the fall-back day', () => {
    expect(starts(berlinDaily, '2026-10-24T12:00:00Z', 2)).toEqual([
      '2026-10-25T02:30:00+02:00',
      '2026-10-26T02:30:00+01:00',
    ]);
    // Four real hours: 02:30 CEST + 4 h = 05:30 CET.
    expect(nextOccurrences(berlinDaily, at('2026-10-24T12:00:00Z'), 1)[0]?.end).toBe(
      '2026-10-25T05:30:00+01:00',
    );
  });

  it('cron 0 22 * * 6 in America/New_York across the 1 November 2026 change', () => {
    const saturdays: MaintenanceWindowSpec = {
      id: 'nyc-saturday',
      timeZone: 'America/New_York',
      recurrence: { cron: '0 22 * * 6' },
      durationMinutes: 240,
    };
    const [last, first] = nextOccurrences(saturdays, at('2026-10-30T00:00:00Z'), 2);
    expect(last).toMatchObject({
      start: '2026-10-31T22:00:00-04:00',
      // Clocks go back at 02:00 EDT during the window: 4 real hours end at 01:00 EST.
      end: '2026-11-01T01:00:00-05:00',
      startEpochMs: at('2026-11-01T02:00:00Z'),
    });
    expect(first).toMatchObject({ start: '2026-11-07T22:00:00-05:00', end: '2026-11-08T02:00:00-05:00' });
    // A week and an hour of real time between the two Saturday 22:00s.
    expect((first?.startEpochMs ?? 0) - (last?.startEpochMs ?? 0)).toBe((7 * 24 + 1) * 3_600_000);
  });

  it('Patch Tuesday + 2 days at 20:00: November 2026 Patch Tuesday is the 10th', () => {
    const spec: MaintenanceWindowSpec = {
      id: 'pt',
      timeZone: 'Europe/London',
      recurrence: { patchTuesday: { offsetDays: 2, startTime: '20:00' } },
      durationMinutes: 360,
    };
    expect(starts(spec, '2026-11-01T00:00:00Z', 3)).toEqual([
      '2026-11-12T20:00:00+00:00',
      '2026-12-10T20:00:00+00:00',
      '2027-01-14T20:00:00+00:00',
    ]);
    expect(
      starts(
        { ...spec, recurrence: { patchTuesday: { offsetDays: 0, startTime: '20:00' } } },
        '2026-11-01T00:00:00Z',
        1,
      ),
    ).toEqual(['2026-11-10T20:00:00+00:00']);
  });

  it('Australia/Lord_Howe moves 30 minutes; Pacific/Chatham sits at +12:45/+13:45', () => {
    const lordHowe: MaintenanceWindowSpec = {
      id: 'lh',
      timeZone: 'Australia/Lord_Howe',
      recurrence: { cron: '15 2 * * *' },
      durationMinutes: 60,
    };
    // 4 October 2026: 02:00 -> 02:30, so 02:15 does not exist.
    expect(starts(lordHowe, '2026-10-02T12:00:00Z', 3)).toEqual([
      '2026-10-03T02:15:00+10:30',
      '2026-10-04T02:30:00+11:00',
      '2026-10-05T02:15:00+11:00',
    ]);
    const chatham: MaintenanceWindowSpec = {
      id: 'ch',
      timeZone: 'Pacific/Chatham',
      recurrence: { cron: '0 3 * * *' },
      durationMinutes: 60,
    };
    // 27 September 2026: 02:45 -> 03:45.
    expect(starts(chatham, '2026-09-25T00:00:00Z', 3)).toEqual([
      '2026-09-26T03:00:00+12:45',
      '2026-09-27T03:45:00+13:45',
      '2026-09-28T03:00:00+13:45',
    ]);
  });

  it('America/Santiago: a midnight window on the day that starts at 01:00', () => {
    const spec: MaintenanceWindowSpec = {
      id: 'scl',
      timeZone: 'America/Santiago',
      recurrence: { cron: '30 0 * * *' },
      durationMinutes: 30,
    };
    expect(starts(spec, '2026-09-05T12:00:00Z', 2)).toEqual([
      '2026-09-06T01:00:00-03:00',
      '2026-09-07T00:30:00-03:00',
    ]);
  });

  it('every quarter hour through a gap: one window at the end of the gap, not four', () => {
    const spec: MaintenanceWindowSpec = {
      id: 'q',
      timeZone: 'Europe/Berlin',
      recurrence: { cron: '*/15 * * * *' },
      durationMinutes: 15,
    };
    expect(starts(spec, '2026-03-29T00:45:00Z', 4)).toEqual([
      '2026-03-29T01:45:00+01:00',
      '2026-03-29T03:00:00+02:00',
      '2026-03-29T03:15:00+02:00',
      '2026-03-29T03:30:00+02:00',
    ]);
    expect(nextOccurrences(spec, at('2026-03-29T00:50:00Z'), 2)[1]?.ruleLocalStart).toBe(
      '2026-03-29T02:00:00',
    );
  });

  it('returns the open window first, and windows are half-open [start, end)', () => {
    const [open] = nextOccurrences(berlinDaily, at('2026-06-01T03:00:00Z'), 1);
    expect(open?.start).toBe('2026-06-01T02:30:00+02:00');
    expect(windowAt(berlinDaily, at('2026-06-01T00:30:00Z'))?.start).toBe('2026-06-01T02:30:00+02:00');
    expect(windowAt(berlinDaily, at('2026-06-01T04:29:59.999Z'))?.start).toBe('2026-06-01T02:30:00+02:00');
    expect(windowAt(berlinDaily, at('2026-06-01T04:30:00Z'))).toBeUndefined();
    expect(windowAt(berlinDaily, at('2026-06-01T00:29:59.999Z'))).toBeUndefined();
    expect(nextOccurrences(berlinDaily, at('2026-06-01T04:30:00Z'), 1)[0]?.start).toBe(
      '2026-06-02T02:30:00+02:00',
    );
  });

  it('skips blacked-out local dates and ranges, in the window zone', () => {
    const spec = { ...berlinDaily, blackoutDates: ['2026-12-24', '2026-12-28..2026-12-31', '2026-12-30'] };
    expect(starts(spec, '2026-12-23T00:00:00Z', 4)).toEqual([
      '2026-12-23T02:30:00+01:00',
      '2026-12-25T02:30:00+01:00',
      '2026-12-26T02:30:00+01:00',
      '2026-12-27T02:30:00+01:00',
    ]);
    expect(starts(spec, '2026-12-27T12:00:00Z', 1)).toEqual(['2027-01-01T02:30:00+01:00']);
  });

  it('honours validFrom and validUntil as dates or instants, and stops when the rule ends', () => {
    const spec = { ...berlinDaily, validFrom: '2026-05-10', validUntil: '2026-05-12' };
    expect(starts(spec, '2026-01-01T00:00:00Z', 5)).toEqual([
      '2026-05-10T02:30:00+02:00',
      '2026-05-11T02:30:00+02:00',
      '2026-05-12T02:30:00+02:00',
    ]);
    const instants = {
      ...berlinDaily,
      validFrom: '2026-05-10T00:31:00Z',
      validUntil: '2026-05-12T00:30:00Z',
    };
    // validUntil is inclusive: the 12 May window starts exactly then.
    expect(starts(instants, '2026-01-01T00:00:00Z', 5)).toEqual([
      '2026-05-11T02:30:00+02:00',
      '2026-05-12T02:30:00+02:00',
    ]);
    // Without DTSTART the RRULE starts at validFrom.
    const fromValidity: MaintenanceWindowSpec = {
      id: 'v',
      timeZone: 'Asia/Kolkata',
      recurrence: { rrule: 'RRULE:FREQ=WEEKLY;BYDAY=SA;BYHOUR=23;BYMINUTE=0' },
      durationMinutes: 120,
      validFrom: '2026-02-01',
    };
    expect(starts(fromValidity, '2025-01-01T00:00:00Z', 2)).toEqual([
      '2026-02-07T23:00:00+05:30',
      '2026-02-14T23:00:00+05:30',
    ]);
    expect(starts({ ...berlinDaily, recurrence: { cron: '0 0 30 2 *' } }, '2026-01-01T00:00:00Z', 1)).toEqual(
      [],
    );
    expect(nextOccurrences(berlinDaily, at('2026-01-01T00:00:00Z'), 0)).toEqual([]);
  });
});

describe('firstWindowAtOrAfter', () => {
  const nightly: MaintenanceWindowSpec = { ...berlinDaily, id: 'nightly' };
  const sunday: MaintenanceWindowSpec = {
    id: 'sunday',
    timeZone: 'UTC',
    recurrence: { cron: '0 6 * * 0' },
    durationMinutes: 720,
  };

  it('uses an open window from the reference instant when enough of it is left', () => {
    // Sunday 7 June 2026 04:00Z: the Berlin window (00:30Z-04:30Z) has 30 minutes left.
    const slot = firstWindowAtOrAfter([nightly, sunday], at('2026-06-07T04:00:00Z'), 30);
    expect(slot).toMatchObject({ windowId: 'nightly', usableFrom: '2026-06-07T06:00:00+02:00' });
    expect(slot?.usableFromEpochMs).toBe(at('2026-06-07T04:00:00Z'));
  });

  it('moves on when the open window is too short, choosing the earliest usable start', () => {
    const slot = firstWindowAtOrAfter([nightly, sunday], at('2026-06-07T04:00:00Z'), 60);
    expect(slot).toMatchObject({
      windowId: 'sunday',
      start: '2026-06-07T06:00:00+00:00',
      usableFrom: '2026-06-07T06:00:00+00:00',
    });
    const weekday = firstWindowAtOrAfter([nightly, sunday], at('2026-06-08T05:00:00Z'), 60);
    expect(weekday).toMatchObject({ windowId: 'nightly', start: '2026-06-09T02:30:00+02:00' });
  });

  it('prefers more time left on a tie, and skips windows shorter than the minimum', () => {
    const longer = { ...nightly, id: 'longer', durationMinutes: 300 };
    expect(firstWindowAtOrAfter([nightly, longer], at('2026-06-08T12:00:00Z'))?.windowId).toBe('longer');
    expect(firstWindowAtOrAfter([nightly], at('2026-06-08T12:00:00Z'), 241)).toBeUndefined();
    expect(firstWindowAtOrAfter([], at('2026-06-08T12:00:00Z'))).toBeUndefined();
  });

  it('names the bad spec by its index', () => {
    expect(() => firstWindowAtOrAfter([nightly, { ...sunday, timeZone: 'Nowhere/Land' }], 0)).toThrow(
      /windows\[1\]\.timeZone/,
    );
  });
});

describe('validateWindowSpec', () => {
  const valid: MaintenanceWindowSpec = {
    id: 'ok',
    timeZone: 'America/New_York',
    recurrence: { cron: '0 22 * * 6' },
    durationMinutes: 240,
    blackoutDates: ['2026-12-25', '2026-12-28..2027-01-02'],
    validFrom: '2026-01-01',
    validUntil: '2027-12-31T23:59:59-05:00',
  };

  function fieldOf(spec: unknown): string | undefined {
    try {
      validateWindowSpec(spec, 'windows[2]');
    } catch (error) {
      expect(error).toBeInstanceOf(PatchwardenError);
      expect((error as PatchwardenError).code).toBe('PW_ERR_INVALID_RECORD');
      expect((error as PatchwardenError).message).toContain((error as PatchwardenError).details.field);
      return (error as PatchwardenError).details.field;
    }
    return undefined;
  }

  it('accepts a good spec of each kind', () => {
    expect(fieldOf(valid)).toBeUndefined();
    expect(
      fieldOf({ ...valid, recurrence: { rrule: 'DTSTART:20260103T220000\nRRULE:FREQ=WEEKLY' } }),
    ).toBeUndefined();
    expect(
      fieldOf({ ...valid, recurrence: { patchTuesday: { offsetDays: 28, startTime: '23:59' } } }),
    ).toBeUndefined();
    expect(fieldOf({ ...valid, timeZone: 'UTC', durationMinutes: 7 * 24 * 60 })).toBeUndefined();
  });

  it.each([
    ['not an object', 'windows[2]', 'x'],
    ['missing id', 'windows[2].id', { ...valid, id: '' }],
    ['name not a string', 'windows[2].name', { ...valid, name: 3 }],
    ['unknown zone', 'windows[2].timeZone', { ...valid, timeZone: 'Europe/Atlantis' }],
    ['offset instead of zone', 'windows[2].timeZone', { ...valid, timeZone: '+02:00' }],
    ['zero duration', 'windows[2].durationMinutes', { ...valid, durationMinutes: 0 }],
    ['negative duration', 'windows[2].durationMinutes', { ...valid, durationMinutes: -5 }],
    ['over seven days', 'windows[2].durationMinutes', { ...valid, durationMinutes: 7 * 24 * 60 + 1 }],
    ['fractional minutes', 'windows[2].durationMinutes', { ...valid, durationMinutes: 1.5 }],
    [
      'two recurrences',
      'windows[2].recurrence',
      { ...valid, recurrence: { cron: '* * * * *', rrule: 'FREQ=DAILY' } },
    ],
    ['no recurrence', 'windows[2].recurrence', { ...valid, recurrence: undefined }],
    ['bad cron', 'windows[2].recurrence.cron', { ...valid, recurrence: { cron: '61 * * * *' } }],
    [
      'bad rrule',
      'windows[2].recurrence.rrule',
      { ...valid, recurrence: { rrule: 'RRULE:FREQ=DAILY;BYHOUR=24' } },
    ],
    [
      'bad offset',
      'windows[2].recurrence.patchTuesday.offsetDays',
      { ...valid, recurrence: { patchTuesday: { offsetDays: 29, startTime: '22:00' } } },
    ],
    [
      'bad start time',
      'windows[2].recurrence.patchTuesday.startTime',
      { ...valid, recurrence: { patchTuesday: { offsetDays: 1, startTime: '24:00' } } },
    ],
    [
      'bad blackout date',
      'windows[2].blackoutDates[1]',
      { ...valid, blackoutDates: ['2026-12-25', '2026-02-30'] },
    ],
    [
      'backwards range',
      'windows[2].blackoutDates[0]',
      { ...valid, blackoutDates: ['2026-12-31..2026-12-01'] },
    ],
    ['blackouts not a list', 'windows[2].blackoutDates', { ...valid, blackoutDates: '2026-12-25' }],
    ['bad validFrom', 'windows[2].validFrom', { ...valid, validFrom: '01/02/2026' }],
    ['instant without offset', 'windows[2].validUntil', { ...valid, validUntil: '2027-01-01T00:00:00' }],
    ['until before from', 'windows[2].validUntil', { ...valid, validUntil: '2025-12-31' }],
  ])('refuses %s, naming %s', (_what, field, spec) => {
    expect(fieldOf(spec)).toBe(field);
  });

  it('refuses a reference instant or count it cannot use', () => {
    expect(() => nextOccurrences(valid, 1e20, 1)).toThrow(/fromEpochMs/);
    expect(() => nextOccurrences(valid, Number.NaN, 1)).toThrow(/fromEpochMs/);
    expect(() => nextOccurrences(valid, 0, -1)).toThrow(/count/);
    expect(() => windowAt(valid, Number.POSITIVE_INFINITY)).toThrow(/instantEpochMs/);
    expect(() => firstWindowAtOrAfter([valid], 0, -5)).toThrow(/minDurationMinutes/);
  });

  it('refuses duplicate ids in a list', () => {
    expect(() => validateWindowSpecs([valid, { ...valid }])).toThrow(
      /windows\[1\]\.id: duplicate window id 'ok'/,
    );
    expect(() => validateWindowSpecs([valid, { ...valid, id: 'other' }])).not.toThrow();
  });
});
