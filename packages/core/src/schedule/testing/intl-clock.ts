/**
 * A second, independent reading of time zones for tests: wall clocks from `Intl.DateTimeFormat`
 * and a brute-force wall-clock -> instant search, sharing no code with local-time.ts (which goes
 * through Temporal). Slow on purpose; never used outside tests.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall clock at `epochMs` in `timeZone`, as floating milliseconds (wall clock read as UTC). */
export function intlWall(epochMs: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(epochMs))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const { year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = parts;
  const whole = Date.UTC(year, month - 1, day, hour, minute, second);
  return whole + (((epochMs % 1000) + 1000) % 1000);
}

export function intlOffsetMinutes(epochMs: number, timeZone: string): number {
  return Math.round((intlWall(epochMs, timeZone) - epochMs) / 60_000);
}

/** `YYYY-MM-DDTHH:MM:SS` of floating milliseconds. */
export function isoWall(floating: number): string {
  return new Date(floating).toISOString().slice(0, 19);
}

export function parseIsoWall(text: string): number {
  return Date.parse(`${text}Z`);
}

export type WallKind = 'normal' | 'fold' | 'gap';

const HOUR = 3_600_000;

/**
 * The instant a wall-clock time opens at, by the documented rule: the only instant showing it, the
 * first of two in a fold, or the end of the gap when no instant shows it.
 */
export function intlWallToInstant(wall: number, timeZone: string): { epochMs: number; kind: WallKind } {
  const offsets = new Set<number>();
  for (let k = -12; k <= 12; k++)
    offsets.add(intlWall(wall + k * 3 * HOUR, timeZone) - (wall + k * 3 * HOUR));
  const hits = [...offsets].map((o) => wall - o).filter((t) => intlWall(t, timeZone) === wall);
  const unique = [...new Set(hits)].sort((a, b) => a - b);
  if (unique.length > 0) return { epochMs: unique[0] ?? NaN, kind: unique.length > 1 ? 'fold' : 'normal' };
  // No instant shows this wall time: find the first instant whose wall clock is past it.
  let lo = wall - 15 * HOUR;
  let hi = wall + 13 * HOUR;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (intlWall(mid, timeZone) > wall) hi = mid;
    else lo = mid;
  }
  return { epochMs: hi, kind: 'gap' };
}
