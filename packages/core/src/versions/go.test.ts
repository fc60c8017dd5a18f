import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PatchwardenError } from '../errors/index.ts';
import { sharedDataPath } from '../../../../test-support/shared-data.ts';
import { goScheme } from './go.ts';

const { compare, isValid } = goScheme;

describe('goScheme', () => {
  it('orders tags, prereleases and the three pseudo-version forms between the tags they were cut from', () => {
    // Hand-picked from the Go modules reference (go.dev/ref/mod#pseudo-versions).
    const ascending = [
      'v0.0.0-20191109021931-daa7c04131f5', // no earlier tag
      'v0.0.0-20200101000000-000000000000',
      'v0.1.0',
      'v1.2.3-pre',
      'v1.2.3-pre.0.20191109021931-daa7c04131f5', // cut after v1.2.3-pre
      'v1.2.3',
      'v1.2.4-0.20191109021931-daa7c04131f5', // cut after v1.2.3
      'v1.2.4',
      'v2.0.0-rc.1',
      'v2.0.0+incompatible',
      'v10.0.0',
    ];
    for (let i = 0; i < ascending.length; i++) {
      for (let j = i + 1; j < ascending.length; j++) {
        expect(compare(ascending[i]!, ascending[j]!), `${ascending[i]} < ${ascending[j]}`).toBe(-1);
        expect(compare(ascending[j]!, ascending[i]!)).toBe(1);
      }
    }
  });

  it('ignores the v prefix OSV drops, +incompatible and build metadata, and reads v1 and v1.2 as shorthands', () => {
    expect(compare('1.2.3', 'v1.2.3')).toBe(0);
    expect(compare('v2.0.0+incompatible', '2.0.0')).toBe(0);
    expect(compare('v1', 'v1.0.0')).toBe(0);
    expect(compare('v1.2', 'v1.2.0')).toBe(0);
    expect(compare('v1.0.0-alpha.10', 'v1.0.0-alpha.9')).toBe(1);
    expect(compare('v1.0.0-alpha.beta', 'v1.0.0-alpha.1')).toBe(1);
  });

  it('rejects what golang.org/x/mod/semver rejects', () => {
    for (const bad of [
      '',
      'v',
      'v01.0.0',
      'v1.02.0',
      'v1.2.3-01',
      'v1.2-pre',
      'v1.2.3-',
      'v1.2.3+',
      'v1.2.3.4',
      'vv1.0.0',
      'V1.0.0',
      ' v1.0.0',
      'latest',
      'v1.2.3-a..b',
    ]) {
      expect(isValid(bad), bad).toBe(false);
      expect(() => compare(bad, 'v1.0.0')).toThrow(PatchwardenError);
    }
  });
});

interface GoRange {
  readonly id: string;
  readonly module: string;
  readonly events: readonly string[];
}

function goRanges(path: string): GoRange[] {
  const ranges: GoRange[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line) continue;
    const record = JSON.parse(line) as {
      id: string;
      affected?: {
        package?: { name?: string };
        ranges?: { type?: string; events?: Record<string, string>[] }[];
      }[];
    };
    for (const affected of record.affected ?? []) {
      for (const range of affected.ranges ?? []) {
        if (range.type !== 'SEMVER') continue;
        ranges.push({
          id: record.id,
          module: affected.package?.name ?? '?',
          events: (range.events ?? []).flatMap((e) => Object.values(e)),
        });
      }
    }
  }
  return ranges;
}

const GO_ORACLE = `package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/semver"
)

func v(s string) string {
	if strings.HasPrefix(s, "v") {
		return s
	}
	return "v" + s
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		parts := strings.SplitN(in.Text(), "\\t", 2)
		a, b := v(parts[0]), v(parts[1])
		if !semver.IsValid(a) || !semver.IsValid(b) {
			fmt.Fprintf(out, "E%t%t\\n", !semver.IsValid(a), !semver.IsValid(b))
			continue
		}
		fmt.Fprintln(out, semver.Compare(a, b))
	}
}
`;

/** golang.org/x/mod/semver from Debian's golang-golang-x-mod-dev, built in GOPATH mode (no network). */
const GOPATH = '/usr/share/gocode';
const goAvailable =
  spawnSync('go', ['version'], { encoding: 'utf8' }).status === 0 &&
  existsSync(join(GOPATH, 'src/golang.org/x/mod/semver'));

if (!goAvailable) {
  console.warn(
    '[patchwarden tests] SKIP: go or golang.org/x/mod (Debian golang-go, golang-golang-x-mod-dev) is absent; the x/mod oracle is skipped',
  );
}

const osvPath = sharedDataPath('osv-go/golang-vulndb-osv.jsonl');

describe.skipIf(!osvPath)('goScheme on the Go vulnerability database (OSV SEMVER ranges)', () => {
  it('reads every range event and finds each range’s events in ascending order', () => {
    const ranges = goRanges(osvPath!);
    const disorder: string[] = [];
    let events = 0;
    for (const range of ranges) {
      for (const e of range.events) {
        events++;
        expect(isValid(e), `${range.id} ${range.module}: ${e}`).toBe(true);
      }
      // OSV's `introduced: "0"` means "from the very beginning", not v0.0.0: v0.0.0-2019...-abc (a
      // pseudo-version without an earlier tag) is below v0.0.0, so the sentinel is left to range code.
      const ordered = range.events.filter((e, i) => !(i === 0 && e === '0'));
      for (let i = 1; i < ordered.length; i++) {
        if (compare(ordered[i - 1]!, ordered[i]!) >= 0)
          disorder.push(`${range.id} ${range.module}: ${ordered[i - 1]} !< ${ordered[i]}`);
      }
    }
    console.info(`[go] ${ranges.length} SEMVER ranges, ${events} events, ${disorder.length} out of order`);
    expect(events).toBeGreaterThan(5000);
    expect(disorder).toEqual([]);
  });
});

/** Go-like strings: tags, shorthands, pseudo-versions, +incompatible, and near-misses x/mod rejects. */
const goLike = fc
  .tuple(
    fc.constantFrom('v', 'v', ''),
    fc.array(fc.oneof(fc.nat(12).map(String), fc.constantFrom('0', '01', '10')), {
      minLength: 1,
      maxLength: 3,
    }),
    fc.constantFrom(
      '',
      '-pre',
      '-rc.1',
      '-rc.01',
      '-0.20191109021931-daa7c04131f5',
      '-pre.0.20191109021931-daa7c04131f5',
      '-alpha..1',
      '-',
    ),
    fc.constantFrom('', '+incompatible', '+build.01', '+'),
  )
  .map(([v, nums, pre, build]) => `${v}${nums.join('.')}${pre}${build}`);

describe.skipIf(!goAvailable)('goScheme against golang.org/x/mod/semver (one Go process)', () => {
  it('agrees on every pair of events of a module (when the Go OSV feed is present) and on generated pairs', () => {
    const pairs: [string, string][] = [];
    if (osvPath) {
      const byModule = new Map<string, Set<string>>();
      for (const r of goRanges(osvPath)) {
        const set = byModule.get(r.module) ?? new Set<string>();
        for (const e of r.events) set.add(e);
        byModule.set(r.module, set);
      }
      for (const set of byModule.values()) {
        const versions = [...set];
        for (const a of versions) for (const b of versions) pairs.push([a, b]);
      }
    }
    const generated = fc.sample(goLike, { numRuns: 3000, seed: 1_017 });
    for (let i = 0; i < 20_000; i++)
      pairs.push([generated[(i * 7) % generated.length]!, generated[(i * 31 + 3) % generated.length]!]);

    const dir = mkdtempSync(join(tmpdir(), 'pw-go-oracle-'));
    try {
      writeFileSync(join(dir, 'main.go'), GO_ORACLE);
      const started = performance.now();
      const run = spawnSync('go', ['run', join(dir, 'main.go')], {
        input: pairs.map(([a, b]) => `${a}\t${b}`).join('\n'),
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, GO111MODULE: 'off', GOPATH, GOFLAGS: '' },
      });
      const oracleMs = performance.now() - started;
      if (run.status !== 0) throw new Error(`The Go oracle failed: ${run.error?.message ?? run.stderr}`);
      const expected = run.stdout.trimEnd().split('\n');
      expect(expected.length).toBe(pairs.length);
      const mismatches: string[] = [];
      let compared = 0;
      pairs.forEach(([a, b], i) => {
        const want = expected[i]!;
        if (want.startsWith('E')) {
          const [badA, badB] = want.slice(1).match(/true|false/g)!;
          if ((badA === 'true') === isValid(a)) mismatches.push(`${a}: x/mod valid=${badA !== 'true'}`);
          if ((badB === 'true') === isValid(b)) mismatches.push(`${b}: x/mod valid=${badB !== 'true'}`);
          return;
        }
        compared++;
        const got = compare(a, b);
        if (String(got) !== want) mismatches.push(`${a} vs ${b}: x/mod ${want}, we ${got}`);
      });
      console.info(
        `[go] ${pairs.length} pairs (${compared} comparable) against golang.org/x/mod/semver; ` +
          `go run (build + run) ${oracleMs.toFixed(0)} ms; ${mismatches.length} mismatches`,
      );
      expect(mismatches.slice(0, 20)).toEqual([]);
      // Without the Go OSV feed only generated strings remain, most of which x/mod rejects on
      // purpose (they check that we reject the same ones).
      expect(compared).toBeGreaterThan(osvPath ? 5000 : 100);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
