/**
 * Fleet matching benchmark on real data (npm run bench:match).
 *
 * Builds a fleet from the real inventories in ../shared/data (Vuls host scans of Ubuntu, Debian,
 * AlmaLinux, Rocky, RHEL and Alpine, plus real npm/yarn/pnpm lockfiles), perturbs versions with
 * versions seen elsewhere for the same package (installed elsewhere or named by an advisory, so
 * boundary cases occur), then matches it against every advisory in ../shared/data and prints the
 * figures. A naive per-host, per-advisory baseline runs on a subset for the ratio.
 *
 *   HOSTS=10000 SEED=1 npm run bench:match
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Advisory, InstalledPackage, MatchTarget } from '@patchwarden/core';
import {
  AdvisoryIndex,
  FleetMatcher,
  assembleHost,
  compileAffected,
  cveIdsOf,
  evaluateAffected,
  isWithdrawn,
  matchTargetOf,
  normalizePackageName,
  schemeById,
  schemeForEcosystem,
} from '@patchwarden/core';
import { IntelStore, importFeeds } from '@patchwarden/feeds';
import { parseInventoryFile } from '@patchwarden/inventory';
import { sharedDataPath } from '../test-support/shared-data.ts';

const HOSTS = Number(process.env.HOSTS ?? 10_000);
const PERTURB = Number(process.env.PERTURB ?? 0.05);
const NAIVE_HOSTS = Number(process.env.NAIVE_HOSTS ?? 5);
let seed = Number(process.env.SEED ?? 1);

function random(): number {
  // mulberry32: a seeded generator so that runs are comparable.
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const ms = (start: number): string => `${(performance.now() - start).toFixed(0)} ms`;
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

const data = sharedDataPath('');
if (!data) {
  console.log('bench:match SKIPPED: ../shared/data is absent (set PATCHWARDEN_SHARED_DATA)');
  process.exit(0);
}

// 1. Every advisory in ../shared/data.
const feedDirs = [
  'osv-distro',
  'osv-go',
  'osv-pypi',
  'osv-npm',
  'advisories-debian',
  'advisories-alpine',
  'advisories-ubuntu-uct',
  'kev',
  'epss',
].map((d) => join(data, d));
let t0 = performance.now();
const store = new IntelStore();
await importFeeds(store, feedDirs, {});
const importTime = ms(t0);
t0 = performance.now();
const index = AdvisoryIndex.from(store.advisories());
const indexTime = ms(t0);
const stats = index.stats();
console.log(
  `advisories: ${stats.advisories} (${stats.entries} affected entries, ${stats.withdrawn} withdrawn, ${stats.issues} not indexable); import ${importTime}, index ${indexTime}`,
);

// 2. Base images from real inventories.
const inventoryDir = join(data, 'inventory', 'vuls-scan-results');
const images: { name: string; targets: MatchTarget[] }[] = [];
for (const file of readdirSync(inventoryDir).filter((f) => f.endsWith('.json'))) {
  const host = assembleHost([await parseInventoryFile(join(inventoryDir, file))], file);
  images.push({ name: file, targets: toTargets(host.packages) });
}
const lockDir = join(data, 'lockfiles', 'vulsio-integration');
const apps: { name: string; targets: MatchTarget[] }[] = [];
for (const rel of [
  'npm-v1/package-lock.json',
  'npm-v2/package-lock.json',
  'npm-v3/package-lock.json',
  'pnpm/pnpm-lock.yaml',
  'pnpm-v9/pnpm-lock.yaml',
  'yarn.lock',
]) {
  const fragment = await parseInventoryFile(join(lockDir, rel));
  apps.push({ name: rel, targets: toTargets(fragment.packages) });
}

function toTargets(packages: readonly InstalledPackage[]): MatchTarget[] {
  return packages
    .filter((p): p is InstalledPackage & { ecosystem: string } => p.ecosystem !== undefined)
    .map((p) => matchTargetOf(p));
}

// Versions seen for each package: installed somewhere, or named by an advisory event.
const pool = new Map<string, string[]>();
const poolKey = (eco: string, name: string): string => `${eco}\u0000${normalizePackageName(eco, name)}`;
const addToPool = (eco: string, name: string, version: string): void => {
  const key = poolKey(eco, name);
  const list = pool.get(key);
  if (!list) pool.set(key, [version]);
  else if (!list.includes(version)) list.push(version);
};
for (const set of [...images, ...apps])
  for (const t of set.targets) addToPool(t.ecosystem, t.name, t.version);
for (const advisory of store.advisories()) {
  for (const affected of advisory.affected) {
    const scheme = schemeForEcosystem(affected.ecosystem);
    for (const range of affected.ranges) {
      for (const event of range.events) {
        const version = Object.values(event)[0] as string;
        if (version !== '0' && scheme?.isValid(version))
          addToPool(affected.ecosystem, affected.name, version);
      }
    }
  }
}

/** A nearby version: the last run of digits moved by -2..+2 (never below 0). */
function nudge(version: string): string {
  const match = /(\d+)(?!.*\d)/.exec(version);
  if (!match) return version;
  const next = Math.max(0, Number(match[1]) + Math.floor(random() * 5) - 2);
  return version.slice(0, match.index) + String(next) + version.slice(match.index + match[1]!.length);
}

// 3. The fleet: each host = one OS image + 0..2 applications, PERTURB of versions changed.
t0 = performance.now();
const fleet = new FleetMatcher(index);
const imageRows = images.map((img) => Int32Array.from(img.targets.map((t) => fleet.intern(t))));
const appRows = apps.map((app) => Int32Array.from(app.targets.map((t) => fleet.intern(t))));
const hosts: Int32Array[] = [];
let rows = 0;
for (let h = 0; h < HOSTS; h++) {
  const parts = [pick(imageRows)];
  const appCount = Math.floor(random() * 3);
  for (let a = 0; a < appCount; a++) parts.push(pick(appRows));
  const length = parts.reduce((n, p) => n + p.length, 0);
  const hostRows = new Int32Array(length);
  let offset = 0;
  for (const part of parts) {
    hostRows.set(part, offset);
    offset += part.length;
  }
  const changes = Math.round(length * PERTURB);
  for (let c = 0; c < changes; c++) {
    const i = Math.floor(random() * length);
    const target = fleet.target(hostRows[i]!);
    const versions = pool.get(poolKey(target.ecosystem, target.name));
    // Half the changes take a version seen elsewhere (installed, or an advisory boundary); the
    // other half a local build of it: hosts drift in ways no other host shares.
    const version =
      versions && versions.length > 1 && random() < 0.5 ? pick(versions) : nudge(target.version);
    hostRows[i] = fleet.intern({ ...target, version });
  }
  rows += length;
  hosts.push(hostRows);
}
const buildTime = ms(t0);

// 4. Match: every distinct tuple once, then each host's rows against the vulnerable bitmap.
const matchStart = performance.now();
const matched = fleet.matchPending();
let vulnerableRows = 0;
let findings = 0;
let exposedHosts = 0;
for (const hostRows of hosts) {
  const vulnerable = fleet.vulnerableIn(hostRows);
  vulnerableRows += vulnerable.length;
  for (const id of vulnerable) findings += fleet.hits(id).length;
  if (vulnerable.length > 0) exposedHosts++;
}
const matchMs = performance.now() - matchStart;

// 5. A feed delta: 100 advisories changed; only tuples under their package names re-match.
const changed: Advisory[] = [];
for (const advisory of store.advisories()) {
  if (changed.length >= 100) break;
  if (isWithdrawn(advisory) || advisory.affected.length === 0) continue;
  changed.push({ ...advisory, modified: new Date(Date.parse(advisory.modified) + 1000).toISOString() });
}
t0 = performance.now();
const rematched = fleet.applyAdvisories(changed);
const deltaTime = ms(t0);
t0 = performance.now();
let deltaFindings = 0;
for (const hostRows of hosts) deltaFindings += fleet.vulnerableIn(hostRows).length;
const rescanTime = ms(t0);

// 6. "Which hosts are exposed to this advisory?" for one KEV-listed CVE present in the fleet.
const isKev = (a: Advisory): boolean => cveIdsOf(a).some((id) => store.kev(id));
let kevAdvisory: Advisory | undefined;
for (let id = 0; id < fleet.tupleCount && !kevAdvisory; id++) {
  kevAdvisory = fleet.hits(id).find((h) => isKev(h.entry.advisory))?.entry.advisory;
}
t0 = performance.now();
let exposedToKev = 0;
if (kevAdvisory) {
  const exposedTuples = new Uint8Array(fleet.tupleCount);
  for (let id = 0; id < fleet.tupleCount; id++) {
    if (fleet.hits(id).some((h) => h.entry.advisory === kevAdvisory)) exposedTuples[id] = 1;
  }
  for (const hostRows of hosts) {
    for (let i = 0; i < hostRows.length; i++) {
      if (exposedTuples[hostRows[i]!] === 1) {
        exposedToKev++;
        break;
      }
    }
  }
}
const kevQueryTime = ms(t0);

// 7. Naive baseline: per host, per installed package, scan every advisory's affected entries.
const allAdvisories = [...store.advisories()].filter((a) => !isWithdrawn(a));
const semver = schemeById('semver');
const compiledCache = new Map<object, ReturnType<typeof compileAffected> | null>();
t0 = performance.now();
let naiveHits = 0;
for (let h = 0; h < NAIVE_HOSTS; h++) {
  for (const id of hosts[h]!) {
    const target = fleet.target(id);
    for (const advisory of allAdvisories) {
      for (const affected of advisory.affected) {
        if (affected.ecosystem !== target.ecosystem) continue;
        if (
          normalizePackageName(affected.ecosystem, affected.name) !==
          normalizePackageName(target.ecosystem, target.name)
        )
          continue;
        let compiled = compiledCache.get(affected);
        if (compiled === undefined) {
          const scheme = schemeForEcosystem(affected.ecosystem);
          try {
            compiled = scheme ? compileAffected(affected, scheme, semver) : null;
          } catch {
            compiled = null;
          }
          compiledCache.set(affected, compiled);
        }
        if (compiled && evaluateAffected(compiled, target.version)) naiveHits++;
      }
    }
  }
}
const naivePerHost = (performance.now() - t0) / NAIVE_HOSTS;
let indexedSubsetHits = 0;
for (let h = 0; h < NAIVE_HOSTS; h++)
  for (const id of fleet.vulnerableIn(hosts[h]!)) indexedSubsetHits += fleet.hits(id).length;

const naiveFleetMs = naivePerHost * HOSTS;
const peak = process.resourceUsage().maxRSS * 1024;
console.log(
  `hosts:                 ${HOSTS} (from ${images.length} real OS inventories + ${apps.length} real lockfiles, ${PERTURB * 100}% of versions perturbed)`,
);
console.log(`installed rows:        ${rows}`);
console.log(`distinct tuples:       ${fleet.tupleCount} (matched ${matched})`);
console.log(`advisories:            ${stats.advisories}`);
console.log(`fleet build:           ${buildTime}`);
console.log(`match wall time:       ${matchMs.toFixed(0)} ms (tuples + per-host bitmap scan)`);
console.log(`rows/s:                ${Math.round(rows / (matchMs / 1000)).toLocaleString('en-US')}`);
console.log(
  `findings:              ${findings} on ${exposedHosts} hosts (${vulnerableRows} vulnerable rows)`,
);
console.log(
  `re-match 100 changed:  ${deltaTime} (${rematched.length} tuples re-matched); then every host's vulnerable rows re-derived in ${rescanTime} (${deltaFindings})`,
);
console.log(
  `hosts exposed to one KEV advisory (${kevAdvisory?.id ?? 'none'}): ${exposedToKev}, answered in ${kevQueryTime}`,
);
console.log(
  `naive baseline:        ${naivePerHost.toFixed(0)} ms/host on ${NAIVE_HOSTS} hosts -> ~${(naiveFleetMs / 1000).toFixed(0)} s for the fleet; ratio ~${Math.round(naiveFleetMs / matchMs)}x`,
);
console.log(
  `naive check:           ${naiveHits} hits vs ${indexedSubsetHits} indexed on the same hosts (${naiveHits === indexedSubsetHits ? 'equal' : 'DIFFERENT'})`,
);
console.log(`peak RSS:              ${mb(peak)}`);
