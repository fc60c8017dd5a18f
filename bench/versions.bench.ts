/**
 * Version-comparison benchmark for the OS orderings (npm run bench:versions).
 *
 * Builds pairs of real versions that sit close to each other (same package, or neighbours in
 * sorted order: the pairs that matching actually compares) from ../shared/data, the committed
 * fixtures and this machine's apt lists, then times `compare`, `isValid` and `parse` for the dpkg,
 * RPM and apk schemes and prints operations per second. "compare, left repeated" runs the same
 * pairs sorted by their first version, the way matching compares one installed version against
 * many advisory bounds. The load average is printed too: on a busy machine the figures drop.
 *
 *   PAIRS=200000 SECONDS=1 npm run bench:versions
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { apkScheme, parseApkVersion } from '../packages/core/src/versions/apk.ts';
import { dpkgScheme, parseDpkgVersion } from '../packages/core/src/versions/dpkg.ts';
import { parseRpmVersion, rpmScheme } from '../packages/core/src/versions/rpm.ts';
import { hostCorpusIo } from '../packages/core/src/versions/testing/host-corpus-io.ts';
import { nearPairs } from '../packages/core/src/versions/testing/near-pairs.ts';
import type { Pair } from '../packages/core/src/versions/testing/near-pairs.ts';
import {
  apkCorpus,
  debianCorpus,
  debianStringsForRpm,
  rpmCorpus,
} from '../packages/core/src/versions/testing/os-corpora.ts';
import type { Corpus } from '../packages/core/src/versions/testing/os-corpora.ts';
import type { VersionScheme } from '../packages/core/src/versions/version-scheme.ts';
import { FIXTURES, SHARED_DATA, sharedDataPath } from '../test-support/shared-data.ts';

const PAIRS = Number(process.env.PAIRS ?? 200_000);
const SECONDS = Number(process.env.SECONDS ?? 1);

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

/** Runs `body` over all items repeatedly for about SECONDS and returns operations per second. */
function rate<T>(items: readonly T[], body: (item: T) => number): number {
  let sink = 0;
  for (const item of items.slice(0, 20_000)) sink += body(item); // warm-up for the JIT
  let operations = 0;
  const started = performance.now();
  let elapsed: number;
  do {
    for (const item of items) sink += body(item);
    operations += items.length;
    elapsed = performance.now() - started;
  } while (elapsed < SECONDS * 1000);
  if (sink === Number.MIN_SAFE_INTEGER) console.log(sink); // keeps the work observable
  return (operations / elapsed) * 1000;
}

const millions = (perSecond: number): string => `${(perSecond / 1e6).toFixed(2)} M/s`;

function bench(label: string, scheme: VersionScheme, parse: (v: string) => unknown, corpus: Corpus): void {
  const near = nearPairs(corpus.groups, {
    count: PAIRS,
    seed: 1,
    isValid: scheme.isValid,
    mutations: [],
    shares: { samePackage: 0.7, neighbours: 0.3, mutations: 0 },
  });
  // Fresh strings, as JSON.parse gives feeds and inventories to the matcher; versions sliced out
  // of a 50 MB apt list would keep V8's slower sliced-string form and the whole list alive.
  const pairs = JSON.parse(JSON.stringify(near.pairs)) as Pair[];
  const { distinctVersions } = near;
  if (pairs.length === 0) {
    console.log(`${label.padEnd(6)} no real versions found; skipped`);
    return;
  }
  const versions = pairs.flatMap((pair) => [...pair]);
  const compares = rate<Pair>(pairs, ([a, b]) => scheme.compare(a, b));
  const byLeft = [...pairs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const repeated = rate<Pair>(byLeft, ([a, b]) => scheme.compare(a, b));
  const validations = rate(versions, (v) => (scheme.isValid(v) ? 1 : 0));
  const parses = rate(versions, (v) => (parse(v) === undefined ? 0 : 1));
  console.log(
    `${label.padEnd(6)} ${String(pairs.length).padStart(7)} pairs of ${String(distinctVersions).padStart(6)} ` +
      `real versions   compare ${millions(compares).padStart(9)}   compare, left repeated ` +
      `${millions(repeated).padStart(9)}   isValid ${millions(validations).padStart(9)}   parse ${millions(parses).padStart(9)}`,
  );
}

const rpm = rpmCorpus(io);
const load = loadavg()
  .map((n) => n.toFixed(2))
  .join(' ');
console.log(
  `Node ${process.version}, ${cpus().length} CPUs, load average ${load}; up to ${PAIRS} near pairs per scheme ` +
    `(same package or sorted neighbours)\n`,
);
bench('dpkg', dpkgScheme, parseDpkgVersion, debianCorpus(io));
bench('rpm', rpmScheme, parseRpmVersion, rpm.groups.size > 0 ? rpm : debianStringsForRpm(io));
bench('apk', apkScheme, parseApkVersion, apkCorpus(io));
