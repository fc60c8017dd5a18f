import { describe, expect, it } from 'vitest';
import { PatchwardenError } from '../errors/errors.ts';
import { calendarDateMs, instantMs } from './instant.ts';

describe('instantMs', () => {
  it('reads RFC 3339 instants with Z, offsets and fractions, and epoch milliseconds', () => {
    expect(instantMs('2024-07-10T00:00:00Z', 'at')).toBe(Date.UTC(2024, 6, 10));
    expect(instantMs('2024-07-10T02:00:00+02:00', 'at')).toBe(Date.UTC(2024, 6, 10));
    expect(instantMs('2024-07-10t00:00:00.250z', 'at')).toBe(Date.UTC(2024, 6, 10) + 250);
    expect(instantMs(1_720_569_600_000, 'at')).toBe(1_720_569_600_000);
  });

  it('refuses what RFC 3339 does not allow, naming the field and record', () => {
    for (const value of [
      '2024-07-10',
      '10/07/2024',
      '2024-02-30T00:00:00Z',
      '2024-07-10T24:00:00Z',
      '2024-07-10T00:00:00',
      Number.NaN,
      null,
    ]) {
      try {
        instantMs(value, 'override.at', 'npm/lodash@4.17.21');
        expect.unreachable(String(value));
      } catch (error) {
        expect(error).toBeInstanceOf(PatchwardenError);
        expect((error as PatchwardenError).details).toMatchObject({
          field: 'override.at',
          record: 'npm/lodash@4.17.21',
        });
      }
    }
  });
});

describe('calendarDateMs', () => {
  it('reads YYYY-MM-DD as 00:00 UTC and refuses impossible dates', () => {
    expect(calendarDateMs('2024-02-29', 'dueDate')).toBe(Date.UTC(2024, 1, 29));
    expect(() => calendarDateMs('2023-02-29', 'dueDate')).toThrow(/dueDate/);
    expect(() => calendarDateMs('2024-7-3', 'dueDate')).toThrow(PatchwardenError);
  });
});
