import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PatchwardenError } from '../errors/index.ts';
import { sharedDataPath } from '../../../../test-support/shared-data.ts';
import { pep440Scheme } from './pep440.ts';

const { compare, isValid } = pep440Scheme;

/**
 * packaging's own ordered list (tests/test_version.py, VERSIONS), re-typed: every entry sorts
 * strictly after the one before it.
 */
const PACKAGING_ORDER = [
  '1.0.dev456',
  '1.0a1',
  '1.0a2.dev456',
  '1.0a12.dev456',
  '1.0a12',
  '1.0b1.dev456',
  '1.0b2',
  '1.0b2.post345.dev456',
  '1.0b2.post345',
  '1.0b2-346',
  '1.0c1.dev456',
  '1.0c1',
  '1.0rc2',
  '1.0c3',
  '1.0',
  '1.0.post456.dev34',
  '1.0.post456',
  '1.1.dev1',
  '1.2+123abc',
  '1.2+123abc456',
  '1.2+abc',
  '1.2+abc123',
  '1.2+abc123def',
  '1.2+1234.abc',
  '1.2+123456',
  '1.2.r32+123456',
  '1.2.rev33+123456',
  '1!1.0.dev456',
  '1!1.0a1',
  '1!1.0b2.post345',
  '1!1.0',
  '1!1.2+123456',
];

describe('pep440Scheme', () => {
  it('orders packaging’s reference list strictly ascending', () => {
    for (let i = 0; i < PACKAGING_ORDER.length; i++) {
      for (let j = i + 1; j < PACKAGING_ORDER.length; j++) {
        expect(
          compare(PACKAGING_ORDER[i]!, PACKAGING_ORDER[j]!),
          `${PACKAGING_ORDER[i]} < ${PACKAGING_ORDER[j]}`,
        ).toBe(-1);
        expect(compare(PACKAGING_ORDER[j]!, PACKAGING_ORDER[i]!)).toBe(1);
      }
    }
  });

  it('normalises spellings to one version', () => {
    const same: [string, string][] = [
      ['1.0.0', '1.0'],
      ['1.0', '1'],
      ['v1.0', '1.0'],
      ['1.0alpha1', '1.0a1'],
      ['1.0-beta.2', '1.0b2'],
      ['1.0pre3', '1.0rc3'],
      ['1.0preview3', '1.0rc3'],
      ['1.0c3', '1.0rc3'],
      ['1.0-1', '1.0.post1'],
      ['1.0.rev1', '1.0.post1'],
      ['1.0_r1', '1.0.post1'],
      ['1.0.post', '1.0.post0'],
      ['1.0-dev', '1.0.dev0'],
      ['0!1.0', '1.0'],
      ['1.0+ABC.1', '1.0+abc-1'],
      ['1.0+abc_01', '1.0+abc.1'],
      ['  1.0\n', '1.0'],
    ];
    for (const [a, b] of same) expect(compare(a, b), `${a} == ${b}`).toBe(0);
  });

  it('reads local segments that look like other numbers as strings, as packaging does', () => {
    // Number('1e5') is 100000; packaging's isdigit() says "1e5" is a string, which sorts below 2.
    expect(compare('1.0+1e5', '1.0+2')).toBe(-1);
    expect(compare('1.0+0x10', '1.0+1')).toBe(-1);
  });

  it('rejects what packaging rejects, with PW_ERR_INVALID_VERSION', () => {
    for (const bad of [
      '',
      'french toast',
      '1.0+',
      '1.0+a..b',
      '1..0',
      '1.0-',
      '1.0.post.dev.x',
      '1.0 1.1',
      '1.0-alpha-beta',
    ]) {
      expect(isValid(bad), bad).toBe(false);
      expect(() => compare(bad, '1.0')).toThrow(PatchwardenError);
    }
    try {
      compare('1.0', 'not a version');
      expect.unreachable();
    } catch (e) {
      expect((e as PatchwardenError).code).toBe('PW_ERR_INVALID_VERSION');
      expect((e as PatchwardenError).details).toMatchObject({ scheme: 'pep440', version: 'not a version' });
    }
  });
});

/** Every version string of the PyPI OSV feed, grouped by package in feed order. */
function pypiVersionsByPackage(path: string): Map<string, string[]> {
  const byPackage = new Map<string, string[]>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line) continue;
    const record = JSON.parse(line) as {
      affected?: {
        package?: { name?: string };
        versions?: string[];
        ranges?: { events?: Record<string, string>[] }[];
      }[];
    };
    for (const affected of record.affected ?? []) {
      const name = affected.package?.name ?? '?';
      const list = byPackage.get(name) ?? [];
      list.push(...(affected.versions ?? []));
      for (const range of affected.ranges ?? [])
        for (const event of range.events ?? []) list.push(...Object.values(event));
      byPackage.set(name, list);
    }
  }
  return byPackage;
}

/** A small deterministic PRNG, so that the random pairs are the same on every run. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PYTHON_ORACLE = `
import sys
try:
    from pip._vendor.packaging.version import Version, InvalidVersion
except Exception as e:
    sys.stderr.write("cannot import pip._vendor.packaging: %s\\n" % e)
    sys.exit(3)
def parse(s):
    try:
        return Version(s)
    except InvalidVersion:
        return None
out = []
for line in sys.stdin.read().split("\\n"):
    if not line:
        continue
    a, b = line.split("\\t")
    va, vb = parse(a), parse(b)
    if va is None or vb is None:
        out.append("E%d%d" % (va is None, vb is None))
    else:
        out.append("-1" if va < vb else ("1" if va > vb else "0"))
sys.stdout.write("\\n".join(out) + "\\n")
`;

const osvPath = sharedDataPath('osv-pypi/pypa-advisory-database-osv.jsonl');

/** PEP 440 spellings, canonical and not, to meet packaging on more than the feed's shapes. */
const pep440Like = fc
  .tuple(
    fc.constantFrom('', '', 'v', '1!', '0!'),
    fc.array(fc.oneof(fc.nat(12), fc.constantFrom(0, 10, 2024)), { minLength: 1, maxLength: 4 }),
    fc.constantFrom('', 'a1', 'b', '.rc2', '-alpha.3', 'c', 'pre', '_preview1', 'beta'),
    fc.constantFrom('', '.post1', '-2', 'post', '.r3', '-rev'),
    fc.constantFrom('', '.dev0', 'dev', '-dev7'),
    fc.constantFrom('', '+local', '+1.abc', '+ABC-1_2', '+1e5', '+'),
  )
  .map(
    ([epoch, release, pre, post, dev, local]) => `${epoch}${release.join('.')}${pre}${post}${dev}${local}`,
  );

describe('pep440Scheme against pip’s packaging (PyPI OSV versions when present, and generated ones)', () => {
  it('agrees with packaging.version.Version on >= 20,000 pairs, in one python process', () => {
    const seen = new Set<string>();
    const pairs: [string, string][] = [];
    const all = new Set<string>(fc.sample(pep440Like, { numRuns: 3000, seed: 440 }));
    for (const versions of osvPath ? pypiVersionsByPackage(osvPath).values() : []) {
      for (const v of versions) all.add(v);
      for (let i = 1; i < versions.length; i++) {
        const key = `${versions[i - 1]}\t${versions[i]}`;
        if (versions[i - 1] !== versions[i] && !seen.has(key)) {
          seen.add(key);
          pairs.push([versions[i - 1]!, versions[i]!]);
        }
      }
    }
    const distinct = [...all].filter((v) => !/[\t\n]/.test(v));
    const random = mulberry32(440);
    for (let i = 0; i < 20_000; i++) {
      pairs.push([
        distinct[Math.floor(random() * distinct.length)]!,
        distinct[Math.floor(random() * distinct.length)]!,
      ]);
    }
    for (let i = 0; i < PACKAGING_ORDER.length; i++)
      for (const b of PACKAGING_ORDER) pairs.push([PACKAGING_ORDER[i]!, b]);
    expect(pairs.length).toBeGreaterThanOrEqual(20_000);

    const started = performance.now();
    const run = spawnSync('python3', ['-c', PYTHON_ORACLE], {
      input: pairs.map(([a, b]) => `${a}\t${b}`).join('\n'),
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const oracleMs = performance.now() - started;
    if (run.error || run.status !== 0) {
      throw new Error(
        `The PEP 440 oracle needs python3 with pip (pip._vendor.packaging); it failed: ${run.error?.message ?? run.stderr}`,
      );
    }
    const expected = run.stdout.trimEnd().split('\n');
    expect(expected.length).toBe(pairs.length);

    const t0 = performance.now();
    const mismatches: string[] = [];
    let compared = 0;
    pairs.forEach(([a, b], i) => {
      const want = expected[i]!;
      if (want.startsWith('E')) {
        if (want[1] === '1' && isValid(a)) mismatches.push(`${a}: packaging rejects, we accept`);
        if (want[2] === '1' && isValid(b)) mismatches.push(`${b}: packaging rejects, we accept`);
        if (want[1] === '0' && !isValid(a)) mismatches.push(`${a}: packaging accepts, we reject`);
        if (want[2] === '0' && !isValid(b)) mismatches.push(`${b}: packaging accepts, we reject`);
        return;
      }
      compared++;
      const got = compare(a, b);
      if (String(got) !== want) mismatches.push(`${a} vs ${b}: packaging ${want}, we ${got}`);
    });
    const oursMs = performance.now() - t0;
    console.info(
      `[pep440] ${pairs.length} pairs (${compared} comparable) from ${distinct.length} distinct versions (${osvPath ? 'PyPI OSV + generated' : 'generated only'}); ` +
        `python oracle ${oracleMs.toFixed(0)} ms, ours ${oursMs.toFixed(0)} ms; ${mismatches.length} mismatches`,
    );
    expect(mismatches.slice(0, 20)).toEqual([]);
  });
});
