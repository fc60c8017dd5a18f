import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sortedDistinct } from './sorted-distinct.ts';

describe('sortedDistinct', () => {
  it('gives what a Set sorted numerically gives, and joins as the same array literal', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })), (values) => {
        const expected = [...new Set(values)].sort((a, b) => a - b);
        const actual = sortedDistinct(values);
        expect([...actual]).toEqual(expected);
        expect(actual.join(',')).toBe(expected.join(','));
      }),
      { numRuns: 300 },
    );
    // Numeric, not text, order; duplicates anywhere.
    expect([...sortedDistinct([10, 9, 100, 9, 1, 10])]).toEqual([1, 9, 10, 100]);
    expect([...sortedDistinct([])]).toEqual([]);
  });
});
