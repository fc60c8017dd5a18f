/**
 * Builds version pairs for oracle tests. Random pairs of real versions nearly always differ at the
 * first digit, which tests little; so most pairs here are "near": two versions of the same
 * package, neighbours in sorted order (a shared prefix), or a real version against a small
 * mutation of itself (`~rc1` appended, a digit bumped, an epoch added...). Deterministic for a
 * given seed. Test and benchmark support only.
 */
import type { PackageVersions } from './version-sources.ts';

export type Pair = readonly [a: string, b: string];

/** Small, fast, seedable PRNG (mulberry32); returns floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Mutation = (version: string, random: () => number) => string;

export interface NearPairOptions {
  /** How many distinct pairs to return (fewer if the corpus cannot supply them). */
  readonly count: number;
  readonly seed: number;
  /** Only versions (real or mutated) the scheme accepts are used. */
  readonly isValid: (version: string) => boolean;
  readonly mutations: readonly Mutation[];
  /** Shares of same-package, sorted-neighbour and mutation pairs; the rest is filled from any. */
  readonly shares?: { readonly samePackage: number; readonly neighbours: number; readonly mutations: number };
}

export interface NearPairs {
  readonly pairs: Pair[];
  readonly samePackage: number;
  readonly neighbours: number;
  readonly mutated: number;
  readonly distinctVersions: number;
}

const DEFAULT_SHARES = { samePackage: 0.55, neighbours: 0.25, mutations: 0.2 };

export function nearPairs(groups: PackageVersions, options: NearPairOptions): NearPairs {
  const random = seededRandom(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const shares = options.shares ?? DEFAULT_SHARES;

  const packages: string[][] = [];
  const all = new Set<string>();
  for (const versions of groups.values()) {
    const valid = [...versions].filter(options.isValid);
    for (const version of valid) all.add(version);
    if (valid.length >= 2) packages.push(valid);
  }
  const sorted = [...all].sort();
  // Weight packages by size by picking a random version slot, then its package.
  const slots: number[] = [];
  packages.forEach((versions, index) => {
    for (let i = 0; i < versions.length; i++) slots.push(index);
  });

  const seen = new Set<string>();
  const pairs: Pair[] = [];
  const add = (a: string, b: string): boolean => {
    const key = a < b ? `${a}\n${b}` : `${b}\n${a}`;
    if (seen.has(key)) return false;
    seen.add(key);
    // Either order: keep the orientation random so asymmetric bugs show.
    pairs.push(random() < 0.5 ? [a, b] : [b, a]);
    return true;
  };

  // Draws until the quota is met or the source runs dry (many misses in a row).
  const fill = (quota: number, draw: () => Pair | undefined): number => {
    let added = 0;
    for (let misses = 0; added < quota && misses < 5_000;) {
      const pair = draw();
      if (pair && add(pair[0], pair[1])) {
        added++;
        misses = 0;
      } else misses++;
    }
    return added;
  };

  const drawSamePackage = (): Pair | undefined => {
    if (slots.length === 0) return undefined;
    const versions = packages[pick(slots)] ?? [];
    const a = pick(versions);
    const b = pick(versions);
    return a === b ? undefined : [a, b];
  };
  const drawNeighbour = (): Pair | undefined => {
    if (sorted.length < 2) return undefined;
    const i = Math.floor(random() * (sorted.length - 1));
    const j = Math.min(sorted.length - 1, i + 1 + Math.floor(random() * 3));
    return [sorted[i] as string, sorted[j] as string];
  };
  const drawMutation = (): Pair | undefined => {
    if (sorted.length === 0 || options.mutations.length === 0) return undefined;
    const version = pick(sorted);
    const mutated = pick(options.mutations)(version, random);
    return mutated !== version && options.isValid(mutated) ? [version, mutated] : undefined;
  };

  const count = options.count;
  const draws = [drawSamePackage, drawNeighbour, drawMutation];
  const added = [
    fill(Math.round(count * shares.samePackage), drawSamePackage),
    fill(Math.round(count * shares.neighbours), drawNeighbour),
    0,
  ];
  added[2] = fill(count - pairs.length, drawMutation);
  // A small corpus may not supply its shares; top up from whichever source still gives pairs.
  for (let k = 0, stale = 0; pairs.length < count && stale < draws.length; k = (k + 1) % draws.length) {
    const got = fill(count - pairs.length, draws[k] as () => Pair | undefined);
    added[k] = (added[k] ?? 0) + got;
    stale = got === 0 ? stale + 1 : 0;
  }
  const [samePackage = 0, neighbours = 0, mutated = 0] = added;
  return { pairs, samePackage, neighbours, mutated, distinctVersions: all.size };
}

/** Replaces one run of digits by `replace(run)`. */
export function mutateDigitRun(
  version: string,
  random: () => number,
  replace: (run: string) => string,
): string {
  const runs = [...version.matchAll(/\d+/g)];
  if (runs.length === 0) return version;
  const run = runs[Math.floor(random() * runs.length)] as RegExpMatchArray;
  const index = run.index ?? 0;
  return version.slice(0, index) + replace(run[0]) + version.slice(index + run[0].length);
}

/** Digit-run edits that suit every scheme: bumps, leading zeros, very long numbers. */
export const DIGIT_MUTATIONS: readonly Mutation[] = [
  (v, r) => mutateDigitRun(v, r, (run) => String(BigInt(run) + 1n)),
  (v, r) => mutateDigitRun(v, r, (run) => (run === '0' ? '0' : String(BigInt(run) - 1n))),
  (v, r) => mutateDigitRun(v, r, (run) => `00${run}`),
  (v, r) => mutateDigitRun(v, r, (run) => `${run}0`),
  (v, r) => mutateDigitRun(v, r, (run) => `${run}${'9'.repeat(24)}`),
  (v, r) => mutateDigitRun(v, r, (run) => String(BigInt(run) + 10n ** 30n)),
];
