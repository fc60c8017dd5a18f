/**
 * RPM ordering checked against rpm itself: every pair goes through `rpm.vercmp` (rpm's own EVR
 * comparison, reached through `rpm --eval` and its embedded Lua), all pairs in one rpm process.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FIXTURES, SHARED_DATA, sharedDataPath } from '../../../../test-support/shared-data.ts';
import { compareRpmVersions, isValidRpmVersion } from './rpm.ts';
import { hostCorpusIo } from './testing/host-corpus-io.ts';
import { DIGIT_MUTATIONS, nearPairs } from './testing/near-pairs.ts';
import type { Mutation, Pair } from './testing/near-pairs.ts';
import { debianStringsForRpm, rpmCorpus } from './testing/os-corpora.ts';

/** Pairs of real RPM versions, then Debian version strings up to the total (all of it on a fresh clone). */
const RPM_PAIRS = 50_000;
const TOTAL_PAIRS = 70_000;
const hasRpmData = sharedDataPath('osv-distro/almalinux9-osv.jsonl') !== undefined;

const io = hostCorpusIo({
  readFile: (path) => (existsSync(path) ? readFileSync(path) : undefined),
  listDir: (path) => (existsSync(path) ? readdirSync(path) : []),
  gunzip: (bytes) => gunzipSync(bytes),
  run: (command, args) => {
    const result = spawnSync(command, args, { maxBuffer: 1 << 30 });
    return result.status === 0 ? result.stdout : undefined;
  },
  sharedRoot: sharedDataPath('MANIFEST.md') === undefined ? undefined : SHARED_DATA,
  fixturesRoot: FIXTURES,
});

const rpmVersion = spawnSync('rpm', ['--version'], { encoding: 'utf8' });
const MISSING_RPM =
  'rpm is not installed: the RPM ordering is checked against rpm itself. Install it with ' +
  '`apt-get install -y rpm` (Debian/Ubuntu; CI does this in .ci/run).';

/** rpm.vercmp on every pair, in one rpm process; -1, 0 or 1 per pair, in order. */
function rpmVercmp(pairs: readonly Pair[]): number[] {
  const dir = mkdtempSync(join(tmpdir(), 'pw-rpm-oracle-'));
  try {
    const input = join(dir, 'pairs');
    const output = join(dir, 'results');
    writeFileSync(input, pairs.map(([a, b]) => `${a}\t${b}\n`).join(''));
    const lua =
      `%{lua: local out = io.open("${output}", "w") ` +
      `for line in io.lines("${input}") do ` +
      `local a, b = line:match("^([^\\t]*)\\t(.*)$") ` +
      `out:write(rpm.vercmp(a, b), "\\n") end ` +
      `out:close()}`;
    const result = spawnSync('rpm', ['--eval', lua], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`rpm --eval failed: ${result.stderr}`);
    return readFileSync(output, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map(Number);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function disagreements(pairs: readonly Pair[]): string[] {
  const oracle = rpmVercmp(pairs);
  expect(oracle.length).toBe(pairs.length);
  const out: string[] = [];
  pairs.forEach(([a, b], i) => {
    const ours = compareRpmVersions(a, b);
    if (ours !== oracle[i]) out.push(`${a} vs ${b}: rpm ${oracle[i]}, ours ${ours}`);
  });
  return out;
}

const editRelease = (v: string, edit: (release: string) => string): string => {
  const hyphen = v.lastIndexOf('-');
  return hyphen < 0 ? v : `${v.slice(0, hyphen + 1)}${edit(v.slice(hyphen + 1))}`;
};

const RPM_MUTATIONS: readonly Mutation[] = [
  ...DIGIT_MUTATIONS,
  (v) => `${v}~rc1`,
  (v) => `${v}~`,
  (v) => `${v}^`,
  (v) => `${v}^git1`,
  (v) => `${v}.1`,
  (v) => `${v}a`,
  (v) => `${v}_1`,
  (v) => `${v}.alma.1`,
  (v) => editRelease(v, (release) => release.replace(/el(\d+)(?!_)/, 'el$1_0')),
  (v) => editRelease(v, (release) => release.replace(/el(\d+)_\d+/, 'el$1')),
  (v) => editRelease(v, (release) => `${release}~bootstrap`),
  (v) => (v.includes('-') ? v.slice(0, v.lastIndexOf('-')) : `${v}-1`),
  (v) => (v.includes(':') ? v.slice(v.indexOf(':') + 1) : `0:${v}`),
  (v) => (v.includes(':') ? v : `1:${v}`),
  (v) => v.replace('.', '_'),
  (v) => v.replace('.', '+'),
  (v) => v.replace('.', '~'),
  (v) => v.replace('.', '^'),
  (v) => v.replace(/[a-z]/, (c) => c.toUpperCase()),
  (v, random) => {
    const i = 1 + Math.floor(random() * (v.length - 1));
    return `${v.slice(0, i)}${random() < 0.5 ? '~' : '^'}${v.slice(i)}`;
  },
];

/** Hand-picked pairs where orderings usually go wrong. */
const EDGE_PAIRS: readonly Pair[] = [
  ['1.0~rc1', '1.0'],
  ['1.0~rc1', '1.0~rc2'],
  ['1.0~', '1.0'],
  ['1.0~~', '1.0~'],
  ['1.0^', '1.0'],
  ['1.0^git1', '1.0'],
  ['1.0^git1', '1.0.1'],
  ['1.0^git1', '1.0a'],
  ['1.0^git1', '1.0^git2'],
  ['1.0^git1~pre', '1.0^git1'],
  ['1.0^1^2', '1.0^1'],
  ['1.0~rc1^git1', '1.0~rc1'],
  ['1.0~rc1^git1', '1.0'],
  ['1.0^', '1.0~'],
  ['1:1.0', '2.0'],
  ['0:1.0', '1.0'],
  ['00:1.0', '0:1.0'],
  ['4294967295:1', '4294967294:2'],
  ['1.0', '1.0-1'],
  ['1.0-1', '1.0-1.el9'],
  ['1.0-1.el9', '1.0-1.el9_0'],
  ['1.0-1.el9_0', '1.0-1.el9_1'],
  ['1.0-1.el9_5.alma.1', '1.0-1.el9_5'],
  ['1:1.48.10-2.el9_5.alma.1', '1:1.48.10-2.el9_5'],
  ['1:1.36.0-4.el9_0', '1:1.54.0-4.el9_7'],
  ['1.0.9-1.el9', '1.0.9-1.el9_0'],
  ['2.34-60.el9', '2.34-60.el9_2.7'],
  ['1.0a', '1.0'],
  ['1.0a', '1.0.1'],
  ['1.0', '1.0.0'],
  ['1.0', '1_0'],
  ['1.0', '1..0'],
  ['1.01', '1.1'],
  ['1.001', '1.01'],
  ['10', '9'],
  ['a', '1'],
  ['alpha', 'beta'],
  ['A', 'a'],
  ['1.0.A', '1.0.a'],
  ['2.0b', '2.0.0'],
  ['5.5p1', '5.5.1'],
  ['1.0+git', '1.0'],
  ['1.0+', '1.0'],
  ['1.0.', '1.0'],
  ['.1', '1'],
  ['1.0', '1.0.'],
  ['fc4', 'fc.4'],
  ['FC5', 'fc4'],
  ['2a', '2.0'],
  ['1.0-1.1', '1.0-1a'],
  [`1.${'9'.repeat(30)}`, `1.1${'0'.repeat(30)}`],
  ['18446744073709551616', '18446744073709551615'],
  [`${'0'.repeat(40)}1`, '1'],
  [`1-${'9'.repeat(40)}`, `1-1${'0'.repeat(40)}`],
];

describe('RPM ordering against rpm.vercmp', () => {
  it('has the oracle: rpm must be installed', () => {
    expect(rpmVersion.status, MISSING_RPM).toBe(0);
  });

  it(`agrees with rpm.vercmp on ${TOTAL_PAIRS} near pairs of real versions`, () => {
    expect(rpmVersion.status, MISSING_RPM).toBe(0);
    const started = performance.now();
    const rpm = rpmCorpus(io);
    const fromRpm = nearPairs(rpm.groups, {
      count: RPM_PAIRS,
      seed: 4181,
      isValid: isValidRpmVersion,
      mutations: RPM_MUTATIONS,
    });
    const debian = debianStringsForRpm(io);
    const fromDebian = nearPairs(debian.groups, {
      count: TOTAL_PAIRS - fromRpm.pairs.length,
      seed: 6765,
      isValid: isValidRpmVersion,
      mutations: RPM_MUTATIONS,
    });
    const pairs = [...fromRpm.pairs, ...fromDebian.pairs];
    const loaded = performance.now();
    const found = disagreements(pairs);
    const rpmSeconds = (performance.now() - loaded) / 1000;

    const signs = { lt: 0, eq: 0, gt: 0 };
    for (const [a, b] of pairs) {
      const sign = compareRpmVersions(a, b);
      signs[sign < 0 ? 'lt' : sign > 0 ? 'gt' : 'eq']++;
    }
    console.log(
      `[rpm oracle] ${pairs.length} pairs: ${fromRpm.pairs.length} from ${fromRpm.distinctVersions} RPM versions ` +
        `(${fromRpm.samePackage} same-package, ${fromRpm.neighbours} neighbours, ${fromRpm.mutated} mutations), ` +
        `${fromDebian.pairs.length} from ${fromDebian.distinctVersions} Debian version strings; ` +
        `${signs.lt} lt / ${signs.eq} eq / ${signs.gt} gt; rpm ran in ${rpmSeconds.toFixed(1)} s, ` +
        `${((performance.now() - started) / 1000).toFixed(1)} s in all. Sources: ${JSON.stringify(rpm.sources)}`,
    );
    expect(found.slice(0, 20), `rpm disagrees on ${found.length} pairs`).toEqual([]);
    // Without the shared RPM data (a fresh clone), Debian strings make up the count if apt lists exist.
    if (hasRpmData) expect(fromRpm.pairs.length).toBe(RPM_PAIRS);
    expect(pairs.length).toBeGreaterThanOrEqual(hasRpmData || debian.groups.size > 0 ? 50_000 : 100);
  });

  it('agrees with rpm.vercmp on hand-picked edge cases, in both orders', () => {
    expect(rpmVersion.status, MISSING_RPM).toBe(0);
    const pairs = EDGE_PAIRS.flatMap(([a, b]): Pair[] => [
      [a, b],
      [b, a],
      [a, a],
    ]);
    expect(disagreements(pairs)).toEqual([]);
  });

  it('reads the OSV feed fixed versions and inventory EVRs as valid', () => {
    const rejected = new Set<string>();
    for (const versions of rpmCorpus(io).groups.values()) {
      for (const v of versions) if (!isValidRpmVersion(v)) rejected.add(v);
    }
    expect([...rejected]).toEqual([]);
  });
});
