import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay, isRetryableStatus, parseRetryAfter, retryDelay } from './retry-policy.ts';

const NOW = new Date('2025-08-26T10:00:00Z');

describe('retry policy', () => {
  it('retries server faults, 408 and 429, never other client errors', () => {
    expect([500, 502, 503, 504, 429, 408].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 410, 304, 200].some(isRetryableStatus)).toBe(false);
  });

  it('reads Retry-After as seconds or as an HTTP-date', () => {
    expect(parseRetryAfter('120', NOW)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', NOW)).toBe(0);
    expect(parseRetryAfter('Tue, 26 Aug 2025 10:00:30 GMT', NOW)).toBe(30_000);
    expect(parseRetryAfter('Tue, 26 Aug 2025 09:00:00 GMT', NOW)).toBe(0);
    expect(parseRetryAfter('-5', NOW)).toBeUndefined();
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(parseRetryAfter(null, NOW)).toBeUndefined();
  });

  it('doubles the backoff per attempt up to a minute', () => {
    expect([1, 2, 3, 4].map((a) => backoffDelay(a, 500))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffDelay(30, 1000)).toBe(60_000);
  });

  it('waits at least the backoff and at least a Retry-After it accepts; refuses a longer one', () => {
    expect(retryDelay(1, 100, undefined, 5000)).toBe(100);
    expect(retryDelay(1, 100, 2000, 5000)).toBe(2000);
    expect(retryDelay(3, 100, 0, 5000)).toBe(400);
    expect(retryDelay(1, 100, 5001, 5000)).toBeUndefined();
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: undefined }),
        fc.integer({ min: 0, max: 100_000 }),
        (attempt, base, retryAfter, max) => {
          const delay = retryDelay(attempt, base, retryAfter, max);
          if (retryAfter !== undefined && retryAfter > max) return delay === undefined;
          return (
            delay !== undefined &&
            delay >= Math.min(backoffDelay(attempt, base), 60_000) &&
            delay >= (retryAfter ?? 0)
          );
        },
      ),
    );
  });
});
