import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PatchwardenError } from '../errors/index.ts';
import { SHARED_DATA } from '../../../../test-support/shared-data.ts';
import { mavenScheme } from './maven.ts';

const { compare, isValid } = mavenScheme;

// Maven's own vectors, re-typed from maven-artifact 3.9.x ComparableVersionTest.
const VERSIONS_QUALIFIER = [
  '1-alpha2snapshot',
  '1-alpha2',
  '1-alpha-123',
  '1-beta-2',
  '1-beta123',
  '1-m2',
  '1-m11',
  '1-rc',
  '1-cr2',
  '1-rc123',
  '1-SNAPSHOT',
  '1',
  '1-sp',
  '1-sp2',
  '1-sp123',
  '1-abc',
  '1-def',
  '1-pom-1',
  '1-1-snapshot',
  '1-1',
  '1-2',
  '1-123',
];
const VERSIONS_NUMBER = [
  '2.0',
  '2.0.a',
  '2-1',
  '2.0.2',
  '2.0.123',
  '2.1.0',
  '2.1-a',
  '2.1b',
  '2.1-c',
  '2.1-1',
  '2.1.0.1',
  '2.2',
  '2.123',
  '11.a2',
  '11.a11',
  '11.b2',
  '11.b11',
  '11.m2',
  '11.m11',
  '11',
  '11.a',
  '11b',
  '11c',
  '11m',
];
const EQUAL: [string, string][] = [
  ['1', '1'],
  ['1', '1.0'],
  ['1', '1.0.0'],
  ['1.0', '1.0.0'],
  ['1', '1-0'],
  ['1', '1.0-0'],
  ['1.0', '1.0-0'],
  ['1a', '1-a'],
  ['1a', '1.0-a'],
  ['1a', '1.0.0-a'],
  ['1.0a', '1-a'],
  ['1.0.0a', '1-a'],
  ['1x', '1-x'],
  ['1x', '1.0-x'],
  ['1x', '1.0.0-x'],
  ['1.0x', '1-x'],
  ['1.0.0x', '1-x'],
  ['1ga', '1'],
  ['1release', '1'],
  ['1final', '1'],
  ['1cr', '1rc'],
  ['1a1', '1-alpha-1'],
  ['1b2', '1-beta-2'],
  ['1m3', '1-milestone-3'],
  ['1X', '1x'],
  ['1A', '1a'],
  ['1B', '1b'],
  ['1M', '1m'],
  ['1Ga', '1'],
  ['1GA', '1'],
  ['1RELEASE', '1'],
  ['1release', '1'],
  ['1RELeaSE', '1'],
  ['1Final', '1'],
  ['1FinaL', '1'],
  ['1FINAL', '1'],
  ['1Cr', '1Rc'],
  ['1cR', '1rC'],
  ['1m3', '1Milestone3'],
  ['1m3', '1MileStone3'],
  ['1m3', '1MILESTONE3'],
  ['1-abcdefghijklmnopqrstuvwxyz', '1-ABCDEFGHIJKLMNOPQRSTUVWXYZ'],
];
const LESS: [string, string][] = [
  ['1', '2'],
  ['1.5', '2'],
  ['1', '2.5'],
  ['1.0', '1.1'],
  ['1.1', '1.2'],
  ['1.0.0', '1.1'],
  ['1.0.1', '1.1'],
  ['1.1', '1.2.0'],
  ['1.0-alpha-1', '1.0'],
  ['1.0-alpha-1', '1.0-alpha-2'],
  ['1.0-alpha-1', '1.0-beta-1'],
  ['1.0-beta-1', '1.0-SNAPSHOT'],
  ['1.0-SNAPSHOT', '1.0'],
  ['1.0-alpha-1-SNAPSHOT', '1.0-alpha-1'],
  ['1.0', '1.0-1'],
  ['1.0-1', '1.0-2'],
  ['1.0.0', '1.0-1'],
  ['2.0-1', '2.0.1'],
  ['2.0.1-klm', '2.0.1-lmn'],
  ['2.0.1', '2.0.1-xyz'],
  ['2.0.1', '2.0.1-123'],
  ['2.0.1-xyz', '2.0.1-123'],
  // MNG-5568: transitivity with an odd version.
  ['6.1.0rc3', '6.1.0'],
  ['6.1.0rc3', '6.1H.5-beta'],
  ['6.1.0', '6.1H.5-beta'],
  // MNG-6572: numbers beyond int and long.
  ['20190126.230843', '1234567890.12345'],
  ['1234567890.12345', '123456789012345.1H.5-beta'],
  ['123456789012345.1H.5-beta', '12345678901234567890.1H.5-beta'],
  // MNG-6964: a qualifier list that starts with -0.
  ['1-0.alpha', '1'],
  ['1-0.beta', '1'],
  ['1-0.alpha', '1-0.beta'],
];

/** Triples a < b < c < a in Maven itself (found by fast-check, confirmed with maven-artifact 3.9.6). */
const CYCLES: [string, string, string][] = [
  ['1-0.alpha', '1', '1-foo'],
  ['1.foo-SNAPSHOT', '1-alpha', '1'],
  ['1.0.alpha-1', '1.0', '1.0-foo'],
  ['1', '1.m.0', '1.alpha'],
];

function assertAscending(list: readonly string[]): void {
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) {
      expect(compare(list[i]!, list[j]!), `${list[i]} < ${list[j]}`).toBe(-1);
      expect(compare(list[j]!, list[i]!), `${list[j]} > ${list[i]}`).toBe(1);
    }
  }
}

describe('mavenScheme (Maven’s ComparableVersionTest vectors)', () => {
  it('orders VERSIONS_QUALIFIER and VERSIONS_NUMBER strictly ascending', () => {
    assertAscending(VERSIONS_QUALIFIER);
    assertAscending(VERSIONS_NUMBER);
  });

  it('treats aliases, case, separators and trailing zeros as equal', () => {
    for (const [a, b] of EQUAL) {
      expect(compare(a, b), `${a} == ${b}`).toBe(0);
      expect(compare(b, a), `${b} == ${a}`).toBe(0);
    }
    const ones = Array.from({ length: 19 }, (_, i) => `${'0'.repeat(i)}1`);
    const zeros = Array.from({ length: 19 }, (_, i) => '0'.repeat(i + 1));
    for (const list of [ones, zeros])
      for (const a of list) for (const b of list) expect(compare(a, b)).toBe(0);
  });

  it('orders the pairs of testVersionComparing, MNG-5568, MNG-6572 and MNG-6964', () => {
    for (const [a, b] of LESS) {
      expect(compare(a, b), `${a} < ${b}`).toBe(-1);
      expect(compare(b, a), `${b} > ${a}`).toBe(1);
    }
  });

  it('keeps Maven’s own cycles: its order is not transitive once qualifiers follow dots (checked against maven-artifact 3.9.6)', () => {
    // Each triple is a < b < c < a in Maven itself; a faithful port must answer the same, or range
    // checks would disagree with what Maven resolves. The laws test uses hyphen-qualified versions.
    for (const [a, b, c] of CYCLES) {
      expect([compare(a, b), compare(b, c), compare(c, a)], `${a} < ${b} < ${c} < ${a}`).toEqual([
        -1, -1, -1,
      ]);
    }
  });

  it('rejects only what no POM could hold', () => {
    for (const ok of ['1', 'a', '-', '1..2', 'RELEASE', 'LATEST', '1.0-SNAPSHOT', '2.0.0.RC1', '1_2+3~4'])
      expect(isValid(ok), ok).toBe(true);
    for (const bad of ['', ' ', '1.0 beta', '1.0\n', '1\u0000', '1.\u0661']) {
      expect(isValid(bad), JSON.stringify(bad)).toBe(false);
      expect(() => compare(bad, '1')).toThrow(PatchwardenError);
    }
  });
});

/** A maven-artifact 3.9.x jar: the local repository's (what `mvn` 3.9 uses), else Debian's. */
function findMavenArtifactJar(): { path: string; version: string } | undefined {
  const repo = join(homedir(), '.m2/repository/org/apache/maven/maven-artifact');
  if (existsSync(repo)) {
    const nines = readdirSync(repo)
      .filter((v) => /^3\.9\.\d+$/.test(v) && existsSync(join(repo, v, `maven-artifact-${v}.jar`)))
      .sort((a, b) => Number(a.split('.')[2]) - Number(b.split('.')[2]));
    const newest = nines.at(-1);
    if (newest) return { path: join(repo, newest, `maven-artifact-${newest}.jar`), version: newest };
  }
  const debian = '/usr/share/java/maven-artifact-3.x.jar';
  return existsSync(debian) ? { path: debian, version: '3.x (Debian)' } : undefined;
}

const JAVA_ORACLE = `
import java.io.*;
import java.nio.charset.StandardCharsets;
import org.apache.maven.artifact.versioning.ComparableVersion;

public class MavenOracle {
  public static void main(String[] args) throws IOException {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    StringBuilder out = new StringBuilder();
    String line;
    while ((line = in.readLine()) != null) {
      if (line.isEmpty()) continue;
      int tab = line.indexOf('\\t');
      int c = new ComparableVersion(line.substring(0, tab)).compareTo(new ComparableVersion(line.substring(tab + 1)));
      out.append(Integer.signum(c)).append('\\n');
    }
    System.out.print(out);
  }
}
`;

/** Real Maven versions from the SBOMs and scanner reports: purls and Trivy's jar results. */
function mavenVersionsFromReports(): string[] {
  const found = new Set<string>();
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.json') || entry.name.endsWith('.xml')) {
        const text = readFileSync(path, 'utf8');
        for (const m of text.matchAll(/pkg:maven\/[^"@\s]+@([^"?#\s<]+)/g))
          found.add(decodeURIComponent(m[1]!));
        if (text.includes('"Type": "jar"')) {
          for (const m of text.matchAll(/"(?:InstalledVersion|FixedVersion)": "([^"]+)"/g))
            for (const v of m[1]!.split(/,\s*/)) found.add(v);
        }
      }
    }
  };
  walk(join(SHARED_DATA, 'sbom'));
  walk(join(SHARED_DATA, 'scanner-reports'));
  return [...found];
}

/** Version directories of a local Maven repository (each holds a .pom), when the machine has one. */
function mavenVersionsFromLocalRepository(limit: number): string[] {
  const found = new Set<string>();
  const walk = (dir: string, depth: number): void => {
    if (found.size >= limit || depth > 12) return;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    if (entries.some((e) => e.isFile() && e.name.endsWith('.pom'))) {
      found.add(dir.slice(dir.lastIndexOf('/') + 1));
      return;
    }
    for (const e of entries) if (e.isDirectory()) walk(join(dir, e.name), depth + 1);
  };
  for (const root of [join(homedir(), '.m2/repository'), '/usr/share/maven-repo']) walk(root, 0);
  return [...found];
}

/** Version strings of other ecosystems' feeds: real-world shapes Maven must still order. */
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

const TOKENS = [
  'alpha',
  'a',
  'beta',
  'b',
  'milestone',
  'm',
  'rc',
  'cr',
  'snapshot',
  'SNAPSHOT',
  'ga',
  'final',
  'release',
  'sp',
  'RC',
  'foo',
  'Final',
];
const generatedVersion = fc
  .array(
    fc.tuple(
      fc.oneof(
        fc.constantFrom(...TOKENS),
        fc.constantFrom(
          '0',
          '00',
          '1',
          '2',
          '10',
          '123',
          '2147483648',
          '123456789012',
          '99999999999999999999',
        ),
        fc.nat(20).map(String),
      ),
      fc.constantFrom('.', '-', ''),
    ),
    { minLength: 1, maxLength: 7 },
  )
  .map((parts) => parts.map(([token, sep], i) => (i === parts.length - 1 ? token : token + sep)).join(''))
  .filter((v) => v.length > 0);

const jar = findMavenArtifactJar();
const javaAvailable = spawnSync('java', ['-version'], { encoding: 'utf8' }).status === 0;

describe('mavenScheme against Maven’s own ComparableVersion (maven-artifact jar)', () => {
  it('agrees on >= 10,000 pairs, in one JVM', () => {
    if (!javaAvailable || !jar) {
      throw new Error(
        "The Maven oracle needs `java` (17+) and a maven-artifact jar: install Debian's `maven` package " +
          '(/usr/share/java/maven-artifact-3.x.jar) or have ~/.m2/repository/org/apache/maven/maven-artifact/3.9.x',
      );
    }
    const reports = mavenVersionsFromReports();
    const local = mavenVersionsFromLocalRepository(3000);
    const other = otherEcosystemVersions().filter(isValid);
    const generated = fc.sample(generatedVersion, { numRuns: 3000, seed: 3_009_006 });
    const vectors = [
      ...VERSIONS_QUALIFIER,
      ...VERSIONS_NUMBER,
      ...EQUAL.flat(),
      ...LESS.flat(),
      ...CYCLES.flat(),
    ];

    const pairs: [string, string][] = [];
    for (const a of vectors) for (const b of vectors) pairs.push([a, b]);
    const pool = [...new Set([...vectors, ...reports, ...local, ...other, ...generated])];
    let seed = 7;
    const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
    for (let i = 0; i < 12_000; i++)
      pairs.push([pool[Math.floor(next() * pool.length)]!, pool[Math.floor(next() * pool.length)]!]);
    for (let i = 1; i < generated.length; i++) pairs.push([generated[i - 1]!, generated[i]!]);
    for (const v of pool) expect(isValid(v), v).toBe(true);

    const dir = mkdtempSync(join(tmpdir(), 'pw-maven-oracle-'));
    try {
      const source = join(dir, 'MavenOracle.java');
      writeFileSync(source, JAVA_ORACLE);
      const started = performance.now();
      const run = spawnSync('java', ['-cp', jar.path, source], {
        input: pairs.map(([a, b]) => `${a}\t${b}`).join('\n'),
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      });
      const oracleMs = performance.now() - started;
      if (run.status !== 0) throw new Error(`The Maven oracle failed: ${run.error?.message ?? run.stderr}`);
      const expected = run.stdout.trimEnd().split('\n');
      expect(expected.length).toBe(pairs.length);

      const t0 = performance.now();
      const mismatches: string[] = [];
      pairs.forEach(([a, b], i) => {
        const got = compare(a, b);
        if (String(got) !== expected[i]) mismatches.push(`${a} vs ${b}: Maven ${expected[i]}, we ${got}`);
      });
      const oursMs = performance.now() - t0;
      console.info(
        `[maven] ${pairs.length} pairs against maven-artifact ${jar.version}; pool: ${vectors.length} vector strings, ` +
          `${reports.length} from SBOMs/reports, ${local.length} from local Maven repositories, ${other.length} PyPI/Go, ` +
          `${generated.length} generated; JVM ${oracleMs.toFixed(0)} ms, ours ${oursMs.toFixed(0)} ms; ${mismatches.length} mismatches`,
      );
      expect(mismatches.slice(0, 20)).toEqual([]);
      expect(pairs.length).toBeGreaterThanOrEqual(10_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
