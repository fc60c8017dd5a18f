import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sameJson } from './same-json.ts';

/** What it replaced: JSON with sorted keys, compared as text. */
function canonical(value: unknown): string | undefined {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/** The same value with every object's keys in another order. */
function reordered(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reordered);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, reordered(v)]),
    );
  }
  return value;
}

const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(null, undefined, true, false, 0, 1, -1.5, '', 'a', 'b'),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), tie('value'), { maxKeys: 4 }),
  ),
})).value;

describe('sameJson', () => {
  it('agrees with comparing canonical JSON text, for values and their reorderings', () => {
    fc.assert(
      fc.property(json, json, (a, b) => {
        expect(sameJson(a, reordered(a))).toBe(true);
        // Top-level undefined and null both become SQL NULL: equal here, unlike JSON.stringify.
        if ((a === undefined || a === null) && (b === undefined || b === null)) return;
        expect(sameJson(a, b)).toBe(canonical(a) === canonical(b));
      }),
      { numRuns: 3_000 },
    );
  });

  it('treats a key holding undefined as absent, but not a key holding null', () => {
    expect(sameJson({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(sameJson({ a: 1, b: null }, { a: 1 })).toBe(false);
    expect(sameJson([1, undefined], [1, null])).toBe(true);
    expect(sameJson({ a: [1, { x: 'y' }] }, { a: [1, { x: 'z' }] })).toBe(false);
    expect(sameJson(null, undefined)).toBe(true);
  });
});
