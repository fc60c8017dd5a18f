import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatInstant,
  instantToFloating,
  isIanaTimeZone,
  parseLocalDate,
  parseRfc3339,
  wallClockToInstant,
} from './local-time.ts';
import { intlWall, intlWallToInstant, parseIsoWall } from './testing/intl-clock.ts';
import { transitions, zoneAndInstant } from './testing/zone-arbitraries.ts';

const wall = (text: string) => parseIsoWall(text);
const at = (text: string, zone: string) => {
  const { epochMs, inGap } = wallClockToInstant(wall(text), zone);
  return { start: formatInstant(epochMs, zone), inGap };
};

describe('wallClockToInstant', () => {
  it('moves a time in a spring-forward gap to the end of the gap (not Temporal "later")', () => {
    expect(at('2026-03-29T02:30:00', 'Europe/Berlin')).toEqual({
      start: '2026-03-29T03:00:00+02:00',
      inGap: true,
    });
    expect(at('2026-03-08T02:59:59', 'America/New_York')).toEqual({
      start: '2026-03-08T03:00:00-04:00',
      inGap: true,
    });
    // Santiago springs forward at midnight: the day starts at 01:00.
    expect(at('2026-09-06T00:30:00', 'America/Santiago')).toEqual({
      start: '2026-09-06T01:00:00-03:00',
      inGap: true,
    });
    // Lord Howe moves by 30 minutes, 02:00 -> 02:30.
    expect(at('2026-10-04T02:10:00', 'Australia/Lord_Howe')).toEqual({
      start: '2026-10-04T02:30:00+11:00',
      inGap: true,
    });
    // Chatham: 02:45 -> 03:45 on the last Sunday of September.
    expect(at('2026-09-27T03:00:00', 'Pacific/Chatham')).toEqual({
      start: '2026-09-27T03:45:00+13:45',
      inGap: true,
    });
  });

  it('reads a repeated fall-back time as its first occurrence', () => {
    expect(at('2026-10-25T02:30:00', 'Europe/Berlin')).toEqual({
      start: '2026-10-25T02:30:00+02:00',
      inGap: false,
    });
    expect(at('2026-11-01T01:30:00', 'America/New_York')).toEqual({
      start: '2026-11-01T01:30:00-04:00',
      inGap: false,
    });
    expect(at('2026-04-05T01:45:00', 'Australia/Lord_Howe')).toEqual({
      start: '2026-04-05T01:45:00+11:00',
      inGap: false,
    });
    expect(at('2026-04-05T03:00:00', 'Pacific/Chatham')).toEqual({
      start: '2026-04-05T03:00:00+13:45',
      inGap: false,
    });
  });

  it('leaves ordinary times alone, including zones without DST', () => {
    expect(at('2026-07-01T12:00:00', 'Asia/Kolkata')).toEqual({
      start: '2026-07-01T12:00:00+05:30',
      inGap: false,
    });
    expect(at('2026-03-29T02:30:00', 'UTC')).toEqual({ start: '2026-03-29T02:30:00+00:00', inGap: false });
  });

  it('agrees with the Intl brute-force oracle on random wall times in many zones', () => {
    const kinds = { normal: 0, fold: 0, gap: 0 };
    fc.assert(
      fc.property(
        zoneAndInstant,
        fc.integer({ min: -90, max: 90 }),
        fc.boolean(),
        ([zone, epoch], minutes, atEdge) => {
          // Half the wall times sit within 90 minutes of where a transition's wall clock jumps,
          // which is where gaps and folds are.
          const edges = transitions(zone).map((t) => intlWall(t - 1, zone) + 1);
          const nearest = edges.reduce(
            (a, b) => (Math.abs(b - epoch) < Math.abs(a - epoch) ? b : a),
            Infinity,
          );
          const w =
            atEdge && Number.isFinite(nearest)
              ? nearest + minutes * 60_000
              : Math.floor(intlWall(epoch, zone) / 900_000) * 900_000;
          const expected = intlWallToInstant(w, zone);
          kinds[expected.kind] += 1;
          expect(wallClockToInstant(w, zone)).toEqual({
            epochMs: expected.epochMs,
            inGap: expected.kind === 'gap',
          });
          expect(instantToFloating(epoch, zone)).toBe(intlWall(epoch, zone));
        },
      ),
      { numRuns: 600 },
    );
    console.log(`local-time vs Intl oracle: ${JSON.stringify(kinds)} wall times`);
    expect(kinds.gap).toBeGreaterThan(0);
    expect(kinds.fold).toBeGreaterThan(0);
  });
});

describe('parsing helpers', () => {
  it('knows IANA zones and refuses offsets and nonsense', () => {
    expect(isIanaTimeZone('Pacific/Chatham')).toBe(true);
    expect(isIanaTimeZone('UTC')).toBe(true);
    expect(isIanaTimeZone('+05:30')).toBe(false);
    expect(isIanaTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isIanaTimeZone('')).toBe(false);
  });

  it('accepts only real calendar dates and RFC 3339 instants with an offset', () => {
    expect(parseLocalDate('2028-02-29')?.toString()).toBe('2028-02-29');
    expect(parseLocalDate('2026-02-29')).toBeUndefined();
    expect(parseLocalDate('2026-2-1')).toBeUndefined();
    expect(parseRfc3339('2026-03-29T03:00:00+02:00')).toBe(Date.UTC(2026, 2, 29, 1));
    expect(parseRfc3339('2026-03-29T01:00Z')).toBe(Date.UTC(2026, 2, 29, 1));
    expect(parseRfc3339('2026-03-29T03:00:00')).toBeUndefined();
    expect(parseRfc3339('2026-13-01T00:00:00Z')).toBeUndefined();
  });
});
