import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PatchwardenError } from '../errors/index.ts';
import { SHARED_DATA } from '../../../../test-support/shared-data.ts';
import { normalizeComposerVersion } from './composer-normalize.ts';
import { packagistScheme } from './packagist.ts';

const { compare, isValid } = packagistScheme;

function sorted(versions: readonly string[]): string[] {
  return [...versions].sort(compare);
}

describe('packagistScheme', () => {
  it('sorts as composer/semver SemverTest::testSort expects', () => {
    expect(sorted(['1.0', '0.1', '0.1', '3.2.1', '2.4.0-alpha', '2.4.0'])).toEqual([
      '0.1',
      '0.1',
      '1.0',
      '2.4.0-alpha',
      '2.4.0',
      '3.2.1',
    ]);
    expect(sorted(['dev-foo', 'dev-master', '1.0', '50.2'])).toEqual([
      'dev-foo',
      '1.0',
      '50.2',
      'dev-master',
    ]);
  });

  it('orders stabilities dev < alpha < beta < RC < stable < patch, with their aliases', () => {
    const ascending = [
      '1.0.0-dev',
      '1.0.0-alpha1',
      '1.0.0-beta',
      '1.0.0-b2',
      '1.0.0-RC1',
      '1.0.0-rc2',
      '1.0.0',
      '1.0.0-patch1',
      '1.0.0-pl2',
      '1.0.1',
    ];
    for (let i = 0; i < ascending.length; i++) {
      for (let j = i + 1; j < ascending.length; j++) {
        expect(compare(ascending[i]!, ascending[j]!), `${ascending[i]} < ${ascending[j]}`).toBe(-1);
        expect(compare(ascending[j]!, ascending[i]!)).toBe(1);
      }
    }
    expect(compare('1.0.0-a1', '1.0.0-alpha.1')).toBe(0);
    expect(compare('v1.2', '1.2.0.0')).toBe(0);
    expect(compare('1.0.0+build', '1.0.0')).toBe(0);
    expect(compare('1.0.x-dev', '1.0.9999')).toBe(1);
    // A quirk kept from Composer: the dashed date takes the date path (3 parts), the dotted one the
    // classical path (padded to 4), and version_compare puts the shorter first.
    expect(compare('2010-01-02', '2010.01.02')).toBe(-1);
  });

  it('keeps a total order over named branches, below every numbered version', () => {
    expect(compare('dev-feature', '0.0.1-dev')).toBe(-1);
    expect(compare('dev-a', 'dev-b')).toBe(-1);
    expect(compare('dev-b', 'dev-a')).toBe(1);
    expect(compare('dev-a', 'DEV-a')).toBe(0);
    expect(compare('dev-trunk', '99999.0')).toBe(1);
  });

  it('rejects what VersionParser::normalize rejects', () => {
    for (const bad of [
      '',
      'a',
      '1.0.0-meh',
      '1.0.0.0.0',
      'feature-foo',
      '1.0.0+foo bar',
      '1.0.0.0.0-dev',
      'latest',
      'dev',
      '1.0 beta',
    ]) {
      expect(isValid(bad), bad).toBe(false);
      expect(() => compare(bad, '1.0')).toThrow(PatchwardenError);
    }
  });
});

/** Packagist versions of the OSV-Scanner report, and composer purls. */
function packagistVersionsFromReports(): string[] {
  const found = new Set<string>();
  const report = join(SHARED_DATA, 'scanner-reports/defectdojo/osv_scanner/many_findings.json');
  if (existsSync(report)) {
    const walk = (o: unknown): void => {
      if (Array.isArray(o)) o.forEach(walk);
      else if (o && typeof o === 'object') {
        const rec = o as { package?: { ecosystem?: string; version?: string }; affected?: unknown[] };
        if (rec.package?.ecosystem === 'Packagist' && rec.package.version) found.add(rec.package.version);
        for (const a of (rec.affected ?? []) as {
          package?: { ecosystem?: string };
          ranges?: { events?: Record<string, string>[] }[];
          versions?: string[];
        }[]) {
          if (a.package?.ecosystem !== 'Packagist') continue;
          for (const r of a.ranges ?? [])
            for (const e of r.events ?? []) for (const v of Object.values(e)) found.add(v);
          for (const v of a.versions ?? []) found.add(v);
        }
        Object.values(o).forEach(walk);
      }
    };
    walk(JSON.parse(readFileSync(report, 'utf8')));
  }
  return [...found];
}

function otherEcosystemVersions(): string[] {
  const found = new Set<string>();
  for (const file of ['osv-pypi/pypa-advisory-database-osv.jsonl', 'osv-go/golang-vulndb-osv.jsonl']) {
    const path = join(SHARED_DATA, file);
    if (!existsSync(path)) continue;
    for (const m of readFileSync(path, 'utf8').matchAll(/"(?:introduced|fixed|last_affected)":"([^"]+)"/g))
      found.add(m[1]!);
  }
  return [...found];
}

/** Tags as PHP projects write them: v prefixes, 1-4 numbers, stability words in any case, dev suffixes. */
const composerLike = fc
  .tuple(
    fc.constantFrom('', 'v', 'V'),
    fc.array(fc.oneof(fc.nat(12), fc.constantFrom(0, 10, 99999)), { minLength: 1, maxLength: 4 }),
    fc.constantFrom('', '-', '.', '_'),
    fc.constantFrom('', 'alpha', 'a', 'beta', 'b', 'RC', 'rc', 'stable', 'patch', 'pl', 'p', 'dev', 'Beta'),
    fc.constantFrom('', '1', '2', '.3', '-4', '10', '1.2'),
    fc.constantFrom('', '', '-dev', '.dev', '+build.7', '.x-dev', '.*-dev'),
  )
  .map(([v, nums, sep, stab, n, suffix]) => `${v}${nums.join('.')}${stab ? sep + stab + n : ''}${suffix}`);

const PHP_ORACLE = `<?php
require '/usr/share/php/Composer/Semver/autoload.php';
use Composer\\Semver\\Comparator;
use Composer\\Semver\\VersionParser;
$parser = new VersionParser();
function norm($parser, $v) {
  try { return $parser->normalize($v); } catch (\\Exception $e) { return null; }
}
$out = array();
foreach (explode("\\n", stream_get_contents(STDIN)) as $line) {
  if ($line === '') continue;
  list($a, $b) = explode("\\t", $line, 2);
  $na = norm($parser, $a);
  $nb = norm($parser, $b);
  if ($na === null || $nb === null) { $out[] = 'E' . ($na === null ? 1 : 0) . ($nb === null ? 1 : 0) . "\\t" . $na . "\\t" . $nb; continue; }
  // Semver::sort's own preparation of each side.
  $sa = $parser->normalizeDefaultBranch($na);
  $sb = $parser->normalizeDefaultBranch($nb);
  if (strpos($sa, 'dev-') === 0 && strpos($sb, 'dev-') === 0) { $c = $sa === $sb ? '0' : 'B'; }
  elseif ($sa === $sb) { $c = '0'; }
  elseif (Comparator::lessThan($sa, $sb)) { $c = '-1'; }
  elseif (Comparator::greaterThan($sa, $sb)) { $c = '1'; }
  else { $c = '0'; }
  $out[] = $c . "\\t" . $na . "\\t" . $nb;
}
echo implode("\\n", $out), "\\n";
`;

const phpAvailable =
  spawnSync('php', ['-v'], { encoding: 'utf8' }).status === 0 &&
  existsSync('/usr/share/php/Composer/Semver/autoload.php');

if (!phpAvailable) {
  console.warn(
    '[patchwarden tests] SKIP: php or composer/semver (Debian php-cli, php-composer-semver) is absent; the Composer oracle is skipped',
  );
}

describe.skipIf(!phpAvailable)(
  'packagistScheme against composer/semver (Debian php-composer-semver, one php process)',
  () => {
    it('normalises and orders as VersionParser and Comparator do', () => {
      const reports = packagistVersionsFromReports();
      const other = otherEcosystemVersions();
      const generated = fc.sample(composerLike, { numRuns: 4000, seed: 2_012 });
      const pool = [
        ...new Set([
          ...reports,
          ...other,
          ...generated,
          'dev-master',
          'dev-trunk',
          'dev-foo',
          'master',
          '1.0.x-dev',
          'v2.*-dev',
        ]),
      ].filter((v) => !/[\t\n]/.test(v));
      const pairs: [string, string][] = [];
      for (let i = 1; i < reports.length; i++) pairs.push([reports[i - 1]!, reports[i]!]);
      let seed = 5;
      const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
      for (let i = 0; i < 20_000; i++)
        pairs.push([pool[Math.floor(next() * pool.length)]!, pool[Math.floor(next() * pool.length)]!]);
      for (let i = 1; i < generated.length; i++) pairs.push([generated[i - 1]!, generated[i]!]);

      const dir = mkdtempSync(join(tmpdir(), 'pw-php-oracle-'));
      try {
        const script = join(dir, 'oracle.php');
        writeFileSync(script, PHP_ORACLE);
        const started = performance.now();
        const run = spawnSync('php', [script], {
          input: pairs.map(([a, b]) => `${a}\t${b}`).join('\n'),
          encoding: 'utf8',
          maxBuffer: 64 * 1024 * 1024,
        });
        const oracleMs = performance.now() - started;
        if (run.status !== 0)
          throw new Error(`The Composer oracle failed: ${run.error?.message ?? run.stderr}`);
        // Not trimEnd(): a line may end in empty tab-separated fields.
        const expected = run.stdout.replace(/\n$/, '').split('\n');
        expect(expected.length).toBe(pairs.length);

        const mismatches: string[] = [];
        let compared = 0;
        pairs.forEach(([a, b], i) => {
          const [want, na, nb] = expected[i]!.split('\t') as [string, string, string];
          const oursA = normalizeComposerVersion(a) ?? '';
          const oursB = normalizeComposerVersion(b) ?? '';
          if (oursA !== na)
            mismatches.push(`normalize(${a}): composer ${JSON.stringify(na)}, we ${JSON.stringify(oursA)}`);
          if (oursB !== nb)
            mismatches.push(`normalize(${b}): composer ${JSON.stringify(nb)}, we ${JSON.stringify(oursB)}`);
          if (want.startsWith('E')) {
            if ((want[1] === '1') === isValid(a)) mismatches.push(`${a}: composer valid=${want[1] === '0'}`);
            if ((want[2] === '1') === isValid(b)) mismatches.push(`${b}: composer valid=${want[2] === '0'}`);
            return;
          }
          if (want === 'B') return; // two named branches: Composer has no order for them
          compared++;
          const got = compare(a, b);
          if (String(got) !== want)
            mismatches.push(`${a} vs ${b} (${na} vs ${nb}): composer ${want}, we ${got}`);
        });
        console.info(
          `[packagist] ${pairs.length} pairs (${compared} ordered) from ${pool.length} strings (${reports.length} Packagist ` +
            `OSV, ${other.length} PyPI/Go, ${generated.length} generated); php ${oracleMs.toFixed(0)} ms; ${mismatches.length} mismatches`,
        );
        expect([...new Set(mismatches)].slice(0, 20)).toEqual([]);
        expect(compared).toBeGreaterThan(5000);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);
