import { describe, expect, it } from 'vitest';
import { boundedParseCache } from './parse-cache.ts';

describe('boundedParseCache', () => {
  it('parses each string once, invalid ones included, and never holds more than its limit', () => {
    const calls: string[] = [];
    const parse = boundedParseCache(3, (v) => {
      calls.push(v);
      return v === 'bad' ? undefined : v.length;
    });
    expect(parse('a')).toBe(1);
    expect(parse('a')).toBe(1);
    expect(parse('bad')).toBeUndefined();
    expect(parse('bad')).toBeUndefined();
    expect(calls).toEqual(['a', 'bad']);

    // Two more entries push out the oldest ('a'), which is then parsed again.
    parse('bb');
    parse('ccc');
    expect(parse('bad')).toBeUndefined();
    expect(parse('a')).toBe(1);
    expect(calls).toEqual(['a', 'bad', 'bb', 'ccc', 'a']);
  });
});
