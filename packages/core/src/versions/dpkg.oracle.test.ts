/**
 * dpkg ordering checked against dpkg itself: for each pair we compute our relation (lt, eq, gt)
 * and ask `dpkg --compare-versions` to confirm it, at test time. dpkg compares one pair per
 * process: about 0.9 ms a pair with two running in parallel on an idle two-core machine, 2.5 ms
 * on a busy one. So a 10,000-pair sample runs by default, and `PATCHWARDEN_FULL_ORACLE=1` (that
 * is, `npm run oracle:dpkg`) runs 100,000.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FIXTURES, SHARED_DATA, sharedDataPath } from '../../../../test-support/shared-data.ts';
import { compareDpkgVersions, isValidDpkgVersion } from './dpkg.ts';
import { hostCorpusIo } from './testing/host-corpus-io.ts';
import { DIGIT_MUTATIONS, nearPairs } from './testing/near-pairs.ts';
import type { Mutation, Pair } from './testing/near-pairs.ts';
import { debianCorpus } from './testing/os-corpora.ts';

const FULL = process.env.PATCHWARDEN_FULL_ORACLE === '1';
const PAIR_COUNT = FULL ? 100_000 : 10_000;
const PARALLEL = 2;

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

const hasDpkg = spawnSync('dpkg', ['--version']).status === 0;

let corpusCache: ReturnType<typeof debianCorpus> | undefined;
const corpus = (): ReturnType<typeof debianCorpus> => (corpusCache ??= debianCorpus(io));

function relation(a: string, b: string): 'lt' | 'eq' | 'gt' {
  const sign = compareDpkgVersions(a, b);
  return sign < 0 ? 'lt' : sign > 0 ? 'gt' : 'eq';
}

function run(command: string, args: readonly string[]): Promise<{ status: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { ...process.env, LC_ALL: 'C' },
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout }));
  });
}

/**
 * Asks dpkg to confirm `a <rel> b` for every pair and returns the pairs it refuses. xargs starts
 * one dpkg per line; only when some fail is the slower, reporting run made.
 */
async function dpkgRefusals(pairs: readonly Pair[]): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'pw-dpkg-oracle-'));
  try {
    const file = join(dir, 'pairs');
    writeFileSync(file, pairs.map(([a, b]) => `${a} ${relation(a, b)} ${b}\n`).join(''));
    const xargs = ['-P', String(PARALLEL), '-L', '1', '-a', file];
    const quick = await run('xargs', [...xargs, 'dpkg', '--compare-versions', '--']);
    if (quick.status === 0) return [];
    const script = 'dpkg --compare-versions -- "$@" 2>/dev/null || echo "$*"';
    const report = await run('xargs', [...xargs, 'sh', '-c', script, 'sh']);
    return report.stdout.split('\n').filter((line) => line !== '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What dpkg says of one string: accepted (perhaps with a warning about the first character) or
 * not. dpkg only warns about invalid characters (Policy forbids them and dpkg-deb refuses them),
 * and after a "does not start with digit" warning it checks nothing more; so in that case the
 * question is asked again with a digit in front, to have dpkg check the remaining characters.
 */
function dpkgAccepts(version: string): boolean {
  const result = spawnSync('dpkg', ['--compare-versions', '--', version, 'eq', version], {
    encoding: 'utf8',
    env: { ...process.env, LC_ALL: 'C' },
  });
  if (result.status !== 0 || result.stderr.includes('invalid character')) return false;
  if (!result.stderr.includes('does not start with digit')) return true;
  return dpkgAccepts(version.replace(/^([ \t]*(?:[^:]*:)?)/, '$10'));
}

const withRevision = (v: string, edit: (upstream: string, revision: string) => string): string => {
  const hyphen = v.lastIndexOf('-');
  return hyphen < 0 ? v : edit(v.slice(0, hyphen), v.slice(hyphen + 1));
};

const DPKG_MUTATIONS: readonly Mutation[] = [
  ...DIGIT_MUTATIONS,
  (v) => `${v}~`,
  (v) => `${v}~~`,
  (v) => `${v}~rc1`,
  (v) => `${v}+b1`,
  (v) => `${v}.1`,
  (v) => `${v}a`,
  (v) => `${v}ubuntu0.1`,
  (v) => (v.includes(':') ? v.slice(v.indexOf(':') + 1) : `1:${v}`),
  (v) => (v.includes(':') ? v : `0:${v}`),
  (v) => (v.includes('-') ? withRevision(v, (upstream) => upstream) : `${v}-0`),
  (v) => withRevision(v, (upstream, revision) => `${upstream}~1-${revision}`),
  (v) => withRevision(v, (upstream, revision) => `${upstream}-${revision}~18.04.1`),
  (v) => withRevision(v, (upstream, revision) => `${upstream}+really${upstream}-${revision}`),
  (v) => v.replace('+', '~'),
  (v) => v.replace('~', '+'),
  (v) => v.replace('.', '+'),
];

/** Hand-picked pairs where orderings usually go wrong. */
const EDGE_PAIRS: readonly Pair[] = [
  ['1.0~rc1', '1.0'],
  ['1.0~', '1.0'],
  ['1.0~~', '1.0~'],
  ['1.0~~a', '1.0~~'],
  ['1.0~~', '1.0~~~'],
  ['1.0', '1.0-0'],
  ['1.0-0', '1.0-00'],
  ['1.0-1', '1.0-1ubuntu0.1'],
  ['1.0-1ubuntu0.1', '1.0-1ubuntu1'],
  ['1.0-1', '1.0-1.1'],
  ['1.0-1~18.04.1', '1.0-1'],
  ['1.1.1f-1ubuntu2.20', '1.1.1f-1ubuntu2.3'],
  ['1.1.1-1ubuntu2.1~18.04.6', '1.1.1-1ubuntu2.1~18.04.13'],
  ['1:1.0', '2.0'],
  ['0:1.0', '1.0'],
  ['2:1.0', '10:0.1'],
  ['2147483647:1', '2147483646:9'],
  ['+1:1.0', '1:1.0'],
  ['-0:1.0', '1.0'],
  ['1.0+dfsg-1', '1.0-1'],
  ['1.0+dfsg1-1', '1.0+dfsg-1'],
  ['1.0+dfsg-1', '1.0.1-1'],
  ['2.0+really1.9-1', '2.0-1'],
  ['1.9+really2.0-1', '2.0-1'],
  ['22.01+really26.02+dfsg-0+deb12u1', '22.01+dfsg-8'],
  ['1.2.3', '1.2.3a'],
  ['1.2.3a', '1.2.3+'],
  ['1.2.3a', '1.2.3.'],
  ['1.2.3', '1.2.3.0'],
  ['1.0a', '1.0A'],
  ['1.0Z', '1.0a'],
  ['1.02', '1.2'],
  ['1.002', '1.10'],
  ['7.6.q-27', '7.6-27'],
  ['1:1.0-1', '1:1.0-1~bpo11+1'],
  ['1.0.0~alpha+1', '1.0.0~alpha'],
  ['1.0.0~alpha', '1.0.0~beta'],
  ['1-2-3', '1-2-4'],
  ['1-2-3', '1.2-3'],
  ['1:2:3', '1:2.3'],
  ['1:2:3-4', '1:2:3-4'],
  ['0.0', '0'],
  ['1.0.', '1.0'],
  ['1.0~.', '1.0~'],
  ['a', 'b'],
  ['a', '1'],
  ['~1', '1'],
  ['1:a', '1:b'],
  ['1.0-a', '1.0-b'],
  ['1.0-a', '1.0-1'],
  ['1.0-+', '1.0-.'],
  [`1.${'9'.repeat(30)}`, `1.1${'0'.repeat(30)}`],
  ['18446744073709551616', '18446744073709551615'],
  ['4294967296-1', '4294967295-1'],
  [`${'0'.repeat(40)}1`, '1'],
  [`1.${'0'.repeat(40)}`, '1.0'],
  [`1-${'9'.repeat(40)}`, `1-1${'0'.repeat(40)}`],
  ['9.99999999999999999999', '10'],
  [' 1.0 ', '1.0'],
  ['\t1.0-1', '1.0-1'],
];

/** Strings on both sides of dpkg's validity line. */
const VALIDITY_CASES: readonly string[] = [
  '1.0',
  '1:1.0-1',
  'a1.0',
  '~1',
  '+1',
  '1:a',
  ' 1.0',
  '1.0 ',
  '\t1.0\t',
  '1 0',
  '1.0-',
  '-1',
  '1:',
  ':1',
  'a:1',
  '1:-1',
  '1:1-',
  '1.0:1',
  '0x1:1',
  '2147483647:1',
  '2147483648:1',
  '99999999999:1',
  '+1:1',
  '-0:1',
  '-1:1',
  '00:1.0',
  '1.0_1',
  '1.0-1_2',
  '1.0-1:2',
  '1:2-3:4',
  '1:2:3',
  '1.0--1',
  '1.0#',
  '1.0@1',
  '1.0-1=',
  'é1',
  '1:é',
  '1.0-1é',
  '1.0\n',
  '1.0-a.b+c~d',
  '1.0-1~',
];

describe('dpkg ordering against the dpkg binary', () => {
  it('has the oracle: dpkg must be installed (it is on every Debian and Ubuntu)', () => {
    expect(hasDpkg, 'dpkg not found on PATH; the dpkg oracle tests need it').toBe(true);
  });

  it.runIf(hasDpkg)(
    `agrees with dpkg --compare-versions on ${PAIR_COUNT} near pairs of real versions`,
    async () => {
      const started = performance.now();
      const { groups, sources } = corpus();
      const built = nearPairs(groups, {
        count: PAIR_COUNT,
        seed: 20261123,
        isValid: isValidDpkgVersion,
        mutations: DPKG_MUTATIONS,
      });
      const loaded = performance.now();
      const refusals = await dpkgRefusals(built.pairs);
      const seconds = (performance.now() - started) / 1000;
      const dpkgSeconds = (performance.now() - loaded) / 1000;

      const relations = { lt: 0, eq: 0, gt: 0 };
      for (const [a, b] of built.pairs) relations[relation(a, b)]++;
      console.log(
        `[dpkg oracle] ${built.pairs.length} pairs (${built.samePackage} same-package, ${built.neighbours} ` +
          `sorted neighbours, ${built.mutated} mutations; ${relations.lt} lt / ${relations.eq} eq / ` +
          `${relations.gt} gt) from ${built.distinctVersions} distinct real versions; dpkg ran in ` +
          `${dpkgSeconds.toFixed(1)} s, ${seconds.toFixed(1)} s in all. Sources: ${JSON.stringify(sources)}`,
      );
      expect(refusals.slice(0, 20), `dpkg disagrees on ${refusals.length} pairs`).toEqual([]);
      if (sources['apt:/var/lib/apt/lists'] === undefined && sharedDataPath('MANIFEST.md') === undefined) {
        // Slim images delete apt's lists; the committed fixtures alone give a few thousand pairs.
        console.warn(
          '[dpkg oracle] no apt lists and no shared data: run `apt-get update` for the full sample',
        );
        expect(built.pairs.length).toBeGreaterThanOrEqual(1_000);
      } else {
        expect(built.pairs.length).toBe(PAIR_COUNT);
      }
    },
    FULL ? 900_000 : 180_000,
  );

  it.runIf(hasDpkg)('agrees with dpkg on hand-picked edge cases, in both orders', async () => {
    const pairs = EDGE_PAIRS.flatMap(([a, b]): Pair[] => [
      [a.trim(), b.trim()],
      [b.trim(), a.trim()],
    ]);
    expect(await dpkgRefusals(pairs)).toEqual([]);
    // Surrounding blanks are ignored, as by dpkg.
    for (const [a, b] of EDGE_PAIRS)
      expect(compareDpkgVersions(a, b)).toBe(compareDpkgVersions(a.trim(), b.trim()));
  });

  it.runIf(hasDpkg)('accepts and refuses the same strings as dpkg', () => {
    const disagreements = VALIDITY_CASES.filter((v) => isValidDpkgVersion(v) !== dpkgAccepts(v));
    expect(disagreements).toEqual([]);
  });

  it.runIf(hasDpkg)('rejects only what dpkg rejects among the real versions', () => {
    const rejected = new Set<string>();
    for (const versions of corpus().groups.values())
      for (const v of versions) if (!isValidDpkgVersion(v)) rejected.add(v);
    const sample = [...rejected].slice(0, 200);
    console.log(
      `[dpkg oracle] ${rejected.size} real strings rejected as dpkg versions, e.g. ${JSON.stringify(sample.slice(0, 8))}`,
    );
    expect(sample.filter((v) => dpkgAccepts(v))).toEqual([]);
  });
});
