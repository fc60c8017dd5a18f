import { describe, expect, it } from 'vitest';
import { cronSource } from './cron-source.ts';
import { isoWall, parseIsoWall } from './testing/intl-clock.ts';

function take(pattern: string, from: string, count: number): string[] {
  const source = cronSource(pattern, 'recurrence.cron');
  const out: string[] = [];
  let at: number | undefined = parseIsoWall(from);
  while (out.length < count && (at = source.firstAtOrAfter(at)) !== undefined) {
    out.push(isoWall(at));
    at += 1;
  }
  return out;
}

describe('cronSource', () => {
  it('evaluates fields on wall-clock time, including a start exactly at the query', () => {
    expect(take('0 22 * * 6', '2026-10-31T22:00:00', 2)).toEqual([
      '2026-10-31T22:00:00',
      '2026-11-07T22:00:00',
    ]);
    expect(take('30 2 * * *', '2026-03-29T00:00:00', 1)).toEqual(['2026-03-29T02:30:00']);
  });

  it('combines day of month and day of week with OR, as Vixie cron does', () => {
    // The 13th, or any Friday.
    expect(take('0 3 13 * 5', '2026-03-01T00:00:00', 3)).toEqual([
      '2026-03-06T03:00:00',
      '2026-03-13T03:00:00',
      '2026-03-20T03:00:00',
    ]);
  });

  it('supports nicknames and the # (nth weekday) extension', () => {
    expect(take('@weekly', '2026-03-02T00:00:00', 1)).toEqual(['2026-03-08T00:00:00']);
    // Second Tuesday at 22:00: Patch Tuesday written as cron.
    expect(take('0 22 * * 2#2', '2026-11-01T00:00:00', 2)).toEqual([
      '2026-11-10T22:00:00',
      '2026-12-08T22:00:00',
    ]);
  });

  it('gives up on dates that never come, and refuses bad patterns with the field', () => {
    expect(take('0 0 31 2 *', '2026-01-01T00:00:00', 1)).toEqual([]);
    expect(() => cronSource('0 25 * * *', 'windows[1].recurrence.cron')).toThrow(
      /windows\[1\]\.recurrence\.cron: bad cron/,
    );
    expect(() => cronSource('', 'windows[1].recurrence.cron')).toThrow(/expected a cron expression/);
  });
});
