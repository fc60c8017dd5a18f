import { Temporal } from 'temporal-polyfill';
import { describe, expect, it } from 'vitest';
import { BlackoutCalendar } from './blackout-calendar.ts';

const day = (text: string) => Temporal.PlainDate.from(text);
const endOf = (calendar: BlackoutCalendar, text: string) => calendar.blackoutEnd(day(text))?.toString();

describe('BlackoutCalendar', () => {
  const calendar = BlackoutCalendar.parse(
    [
      '2026-12-24',
      '2026-12-28..2026-12-31',
      '2027-01-01..2027-01-02',
      '2026-12-30',
      '2026-03-01..2026-03-01',
    ],
    'blackoutDates',
  );

  it('finds the last blacked-out day of the blackout covering a date, merging touching ranges', () => {
    expect(endOf(calendar, '2026-12-24')).toBe('2026-12-24');
    expect(endOf(calendar, '2026-12-28')).toBe('2027-01-02');
    expect(endOf(calendar, '2026-12-30')).toBe('2027-01-02');
    expect(endOf(calendar, '2027-01-02')).toBe('2027-01-02');
    expect(endOf(calendar, '2026-03-01')).toBe('2026-03-01');
  });

  it('leaves other dates alone', () => {
    for (const free of ['2026-12-23', '2026-12-25', '2026-12-27', '2027-01-03', '2026-02-28', '2026-03-02']) {
      expect(endOf(calendar, free)).toBeUndefined();
    }
    expect(endOf(BlackoutCalendar.parse(undefined, 'blackoutDates'), '2026-12-24')).toBeUndefined();
  });

  it('names the bad entry', () => {
    const fieldOf = (entries: unknown) => {
      try {
        BlackoutCalendar.parse(entries, 'windows[0].blackoutDates');
      } catch (error) {
        return (error as { details: { field: string } }).details.field;
      }
      return undefined;
    };
    expect(fieldOf(['2026-01-01', '2026-1-2'])).toBe('windows[0].blackoutDates[1]');
    expect(fieldOf(['2026-01-01..2026-01-05..2026-01-09'])).toBe('windows[0].blackoutDates[0]');
    expect(fieldOf(['2026-01-05..2026-01-01'])).toBe('windows[0].blackoutDates[0]');
    expect(fieldOf([20260101])).toBe('windows[0].blackoutDates[0]');
    expect(fieldOf({})).toBe('windows[0].blackoutDates');
  });
});
