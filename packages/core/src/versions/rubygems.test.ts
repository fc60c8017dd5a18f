import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PatchwardenError } from '../errors/index.ts';
import { SHARED_DATA } from '../../../../test-support/shared-data.ts';
import { rubygemsScheme } from './rubygems.ts';

const { compare, isValid } = rubygemsScheme;

describe('rubygemsScheme (rubygems’ test_gem_version.rb, re-typed)', () => {
  it('test_spaceship', () => {
    expect(compare('1.0', '1.0.0')).toBe(0);
    expect(compare('1.0', '1.0.a')).toBe(1);
    expect(compare('1.8.2', '0.0.0')).toBe(1);
    expect(compare('1.8.2', '1.8.2.a')).toBe(1);
    expect(compare('1.8.2.b', '1.8.2.a')).toBe(1);
    expect(compare('1.8.2.a', '1.8.2')).toBe(-1);
    expect(compare('1.8.2.a10', '1.8.2.a9')).toBe(1);
  });

  it('test_equals2 and test_initialize: letter runs split from numbers, surrounding spaces ignored', () => {
    expect(compare('1.2.b1', '1.2.b.1')).toBe(0);
    expect(compare('1.2', '1.3')).toBe(-1);
    for (const good of ['1.0', '1.0 ', ' 1.0 ', '1.0\n', '\n1.0\n'])
      expect(compare(good, '1.0'), JSON.stringify(good)).toBe(0);
  });

  it('test_initialize_bad, plus the blank string we reject on purpose', () => {
    for (const bad of ['junk', '1.0\n2.0', '', '  ', '1.0+build', 'v1.0', '1..0', '1.0-', '.1']) {
      expect(isValid(bad), JSON.stringify(bad)).toBe(false);
      expect(() => compare(bad, '1.0')).toThrow(PatchwardenError);
    }
  });

  it('test_prerelease: any letter makes a prerelease, which sorts below its release', () => {
    for (const pre of ['1.2.0.a', '2.9.b', '22.1.50.0.d', '1.2.d.42', '1.A', '1.0-1']) {
      const release = pre.replace(/[-.]?[A-Za-z].*$/, '').replace(/-.*$/, '');
      expect(compare(pre, release), `${pre} < ${release}`).toBe(-1);
    }
  });

  it('reads - as .pre. and compares letters case-sensitively, as Ruby strings do', () => {
    expect(compare('1.0-1', '1.0.pre.1')).toBe(0);
    expect(compare('1.0.A', '1.0.a')).toBe(-1);
    expect(compare('1.0.a.0', '1.0.a')).toBe(0);
    expect(compare('123456789012345678901234567890', '123456789012345678901234567891')).toBe(-1);
  });
});

const RUBY_ORACLE = `
require "rubygems"
out = []
STDIN.read.split("\\n").each do |line|
  next if line.empty?
  a, b = line.split("\\t", 2)
  ok_a = Gem::Version.correct?(a) && a.strip != ""
  ok_b = Gem::Version.correct?(b) && b.strip != ""
  if !ok_a || !ok_b
    out << "E#{ok_a ? 0 : 1}#{ok_b ? 0 : 1}"
  else
    out << (Gem::Version.new(a) <=> Gem::Version.new(b)).to_s
  end
end
STDOUT.write(out.join("\\n") + "\\n")
`;

/** Real version strings of other feeds: RubyGems has no feed here, and gems use the same shapes. */
function realVersions(): string[] {
  const found = new Set<string>();
  for (const file of ['osv-pypi/pypa-advisory-database-osv.jsonl', 'osv-go/golang-vulndb-osv.jsonl']) {
    const path = join(SHARED_DATA, file);
    if (!existsSync(path)) continue;
    for (const m of readFileSync(path, 'utf8').matchAll(/"(?:introduced|fixed|last_affected)":"([^"]+)"/g))
      found.add(m[1]!);
  }
  return [...found];
}

const gemPart = fc.oneof(
  fc.nat(12).map(String),
  fc.constantFrom('0', '00', '10', 'a', 'b', 'rc', 'pre', 'beta', 'A', 'Z', 'alpha1', '1a'),
);
/** Gem::Version::VERSION_PATTERN's shape: number, dot parts, then an optional `-` tail. */
const gemLike = fc
  .tuple(
    fc.nat(20),
    fc.array(gemPart, { maxLength: 5 }),
    fc.option(fc.array(fc.oneof(gemPart, fc.constant('x-1')), { minLength: 1, maxLength: 3 })),
  )
  .map(([head, dots, tail]) => [String(head), ...dots].join('.') + (tail ? `-${tail.join('.')}` : ''));

const rubyAvailable =
  spawnSync('ruby', ['-e', 'require "rubygems"; print Gem::VERSION'], { encoding: 'utf8' }).status === 0;

if (!rubyAvailable)
  console.warn('[patchwarden tests] SKIP: ruby (Debian ruby) is absent; the Gem::Version oracle is skipped');

describe.skipIf(!rubyAvailable)('rubygemsScheme against Gem::Version (one ruby process)', () => {
  it('agrees on validity and order', () => {
    const real = realVersions();
    const generated = fc.sample(gemLike, { numRuns: 3000, seed: 1_903 });
    const vectors = [
      '1.0',
      '1.0.0',
      '1.0.a',
      '1.8.2',
      '0.0.0',
      '1.8.2.a',
      '1.8.2.b',
      '1.8.2.a10',
      '1.8.2.a9',
      '1.2.b1',
      '1.2.b.1',
      '1.0-1',
      '1.0.A',
      ' 1.0 ',
      'junk',
      '',
    ];
    const pool = [...new Set([...vectors, ...real, ...generated])].filter((v) => !/[\t\n]/.test(v));
    const pairs: [string, string][] = [];
    let seed = 11;
    const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
    for (let i = 0; i < 20_000; i++)
      pairs.push([pool[Math.floor(next() * pool.length)]!, pool[Math.floor(next() * pool.length)]!]);
    for (const a of vectors) for (const b of vectors) pairs.push([a, b]);

    const started = performance.now();
    const run = spawnSync('ruby', ['-e', RUBY_ORACLE], {
      input: pairs.map(([a, b]) => `${a}\t${b}`).join('\n'),
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const oracleMs = performance.now() - started;
    if (run.status !== 0) throw new Error(`The RubyGems oracle failed: ${run.error?.message ?? run.stderr}`);
    const expected = run.stdout.trimEnd().split('\n');
    expect(expected.length).toBe(pairs.length);
    const mismatches: string[] = [];
    let compared = 0;
    pairs.forEach(([a, b], i) => {
      const want = expected[i]!;
      if (want.startsWith('E')) {
        if ((want[1] === '1') === isValid(a))
          mismatches.push(`${JSON.stringify(a)}: Gem valid=${want[1] === '0'}`);
        if ((want[2] === '1') === isValid(b))
          mismatches.push(`${JSON.stringify(b)}: Gem valid=${want[2] === '0'}`);
        return;
      }
      compared++;
      const got = compare(a, b);
      if (String(got) !== want) mismatches.push(`${a} vs ${b}: Gem::Version ${want}, we ${got}`);
    });
    console.info(
      `[rubygems] ${pairs.length} pairs (${compared} comparable) from ${pool.length} strings (${real.length} real, ` +
        `${generated.length} generated); ruby ${oracleMs.toFixed(0)} ms; ${mismatches.length} mismatches`,
    );
    expect(mismatches.slice(0, 20)).toEqual([]);
    expect(compared).toBeGreaterThan(5000);
  });
});
