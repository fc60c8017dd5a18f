import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { patchTuesday } from './patch-tuesday.ts';

describe('patchTuesday', () => {
  it('matches Microsoft release dates', () => {
    // Security Update Guide release dates.
    expect(patchTuesday(2024, 1).toString()).toBe('2024-01-09');
    expect(patchTuesday(2024, 10).toString()).toBe('2024-10-08');
    expect(patchTuesday(2025, 7).toString()).toBe('2025-07-08');
    expect(patchTuesday(2025, 12).toString()).toBe('2025-12-09');
    expect(patchTuesday(2026, 11).toString()).toBe('2026-11-10');
    expect(patchTuesday(2026, 9).toString()).toBe('2026-09-08'); // 1 September 2026 is a Tuesday
    expect(patchTuesday(2026, 3).toString()).toBe('2026-03-10');
  });

  it('is always the second Tuesday, between the 8th and the 14th', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1970, max: 2200 }), fc.integer({ min: 1, max: 12 }), (year, month) => {
        const day = patchTuesday(year, month);
        const date = new Date(Date.UTC(year, month - 1, day.day));
        expect(date.getUTCDay()).toBe(2);
        expect(day.day).toBeGreaterThanOrEqual(8);
        expect(day.day).toBeLessThanOrEqual(14);
        expect([day.year, day.month]).toEqual([year, month]);
      }),
      { numRuns: 500 },
    );
  });
});
