import type { Advisory } from '../intel/advisory.ts';
import { allIds, cveIdsOf } from '../intel/advisory.ts';
import type { IntelLookup } from '../intel/intel-lookup.ts';
import { EMPTY_INTEL } from '../intel/intel-lookup.ts';
import type { InstalledPackage } from '../inventory/installed-package.ts';
import { schemeForEcosystem } from '../versions/registry.ts';
import type { AdvisoryIndex, IndexEntry } from './advisory-index.ts';
import type { Finding, FindingEvidence } from './finding.ts';
import type { MatchTarget } from './match-target.ts';
import { matchTargetOf } from './match-target.ts';
import type { RangeHit } from './osv-range.ts';
import { evaluateAffected } from './osv-range.ts';
import { resolveSeverity } from './severity.ts';

export interface TupleHit {
  entry: IndexEntry;
  hit: RangeHit;
}

/** Packages that could not be matched, grouped by why: reported, never silently dropped. */
export interface UnmatchedGroup {
  ecosystem: string;
  reason: 'no-ecosystem' | 'no-version-order' | 'no-advisories' | 'invalid-version';
  packages: number;
  examples: string[];
}

export interface MatchReport {
  findings: Finding[];
  packages: number;
  distinctTuples: number;
  unmatched: UnmatchedGroup[];
}

/** Matches one (ecosystem, name, version) against the index. */
export function matchTarget(index: AdvisoryIndex, target: MatchTarget): TupleHit[] {
  const hits: TupleHit[] = [];
  for (const entry of index.lookup(target.ecosystem, target.name)) {
    const hit = evaluateAffected(entry.compiled, target.version);
    if (hit) hits.push({ entry, hit });
  }
  return hits;
}

/**
 * Hits from several feeds that describe one vulnerability (ids or aliases overlap: UBUNTU-CVE-X,
 * CVE-X from the tracker, a USN aliasing it) become one finding with the evidence of each.
 */
function groupByVulnerability(hits: readonly TupleHit[]): TupleHit[][] {
  const groups: { ids: Set<string>; hits: TupleHit[] }[] = [];
  for (const hit of hits) {
    const ids = allIds(hit.entry.advisory);
    const joined = groups.filter((group) => ids.some((id) => group.ids.has(id)));
    const target = joined[0] ?? { ids: new Set<string>(), hits: [] };
    if (joined.length === 0) groups.push(target);
    for (const other of joined.slice(1)) {
      for (const id of other.ids) target.ids.add(id);
      target.hits.push(...other.hits);
      groups.splice(groups.indexOf(other), 1);
    }
    for (const id of ids) target.ids.add(id);
    target.hits.push(hit);
  }
  return groups.map((group) => group.hits);
}

function canonicalId(ids: readonly string[], advisories: readonly Advisory[]): string {
  const cves = ids.filter((id) => id.startsWith('CVE-'));
  if (cves.length === 1) return cves[0]!;
  return advisories[0]!.id;
}

/** Builds the findings for one matched tuple; they are shared by every package that maps to it. */
export function findingsForTuple(
  target: MatchTarget,
  hits: readonly TupleHit[],
  intel: IntelLookup,
): Omit<Finding, 'package'>[] {
  const scheme = schemeForEcosystem(target.ecosystem);
  const results: Omit<Finding, 'package'>[] = [];
  for (const group of groupByVulnerability(hits)) {
    const advisories = group.map((h) => h.entry.advisory);
    const ids = [...new Set(advisories.flatMap(allIds))];
    const cveIds = [...new Set(advisories.flatMap(cveIdsOf))].sort();
    const cves = cveIds.map((id) => intel.cve(id)).filter((c) => c !== undefined);
    const evidence: FindingEvidence[] = group.map(({ entry, hit }) => {
      const item: FindingEvidence = {
        advisoryId: entry.advisory.id,
        source: entry.advisory.source,
        ecosystem: entry.affected.ecosystem,
        advisoryPackage: entry.affected.name,
        comparedVersion: target.version,
        range: hit.range,
        rangeType: hit.rangeType,
      };
      if (hit.fixed !== undefined) item.fixed = hit.fixed;
      if (hit.lastAffected !== undefined) item.lastAffected = hit.lastAffected;
      return item;
    });
    // Upgrading must satisfy every matching advisory: the fix is the highest fixed version. If
    // any matching advisory has no fix, the vulnerability stays open after the others' fixes.
    let fixedVersion: string | undefined;
    if (evidence.every((e) => e.fixed !== undefined)) {
      for (const e of evidence) {
        if (fixedVersion === undefined || (scheme && scheme.compare(e.fixed!, fixedVersion) > 0)) {
          fixedVersion = e.fixed;
        }
      }
    }
    const id = canonicalId(ids, advisories);
    const cwes = [...new Set([...advisories.flatMap((a) => a.cwes), ...cves.flatMap((c) => c.cwes)])].sort();
    const finding: Omit<Finding, 'package'> = {
      id,
      aliases: ids.filter((x) => x !== id).sort(),
      ...resolveSeverity(
        group.map((h) => ({ advisory: h.entry.advisory, affected: h.entry.affected })),
        cves,
      ),
      cwes,
      evidence,
    };
    if (fixedVersion !== undefined) finding.fixedVersion = fixedVersion;
    const relatedCves = cveIds.filter((cve) => !ids.includes(cve));
    if (relatedCves.length > 0) finding.relatedCves = relatedCves;
    const summary =
      advisories.find((a) => a.summary)?.summary ?? cves.find((c) => c.description)?.description;
    if (summary !== undefined) finding.summary = summary;
    for (const cveId of cveIds) {
      const kev = intel.kev(cveId);
      if (kev) {
        finding.kev = {
          dateAdded: kev.dateAdded,
          dueDate: kev.dueDate,
          knownRansomwareCampaignUse: kev.knownRansomwareCampaignUse,
        };
        break;
      }
    }
    for (const cveId of cveIds) {
      const epss = intel.epss(cveId);
      if (epss && (finding.epss === undefined || epss.epss > finding.epss.score)) {
        finding.epss = { score: epss.epss };
        if (epss.percentile !== undefined) finding.epss.percentile = epss.percentile;
        if (epss.date !== undefined) finding.epss.date = epss.date;
      }
    }
    results.push(finding);
  }
  return results;
}

/** One empty list for every tuple without findings (a memo holds many). */
const NO_FINDINGS: readonly Omit<Finding, 'package'>[] = Object.freeze([]);

function tupleKey(target: MatchTarget): string {
  return `${target.ecosystem}\u0000${target.name}\u0000${target.version}`;
}

/**
 * Matches an inventory: distinct (ecosystem, name, version) tuples are matched once and their
 * findings shared by every package that maps to them.
 */
export function matchPackages(
  packages: readonly InstalledPackage[],
  index: AdvisoryIndex,
  intel: IntelLookup = EMPTY_INTEL,
  /**
   * Findings per tuple key from earlier calls with this same index and intel, filled as tuples are
   * matched: a fleet's hosts share most tuples, so each is matched once, not once per host. The
   * caller drops it whenever the index or the intel changes.
   */
  tupleMemo?: Map<string, readonly Omit<Finding, 'package'>[]>,
): MatchReport {
  const unmatched = new Map<string, UnmatchedGroup>();
  const noteUnmatched = (ecosystem: string, reason: UnmatchedGroup['reason'], example: string): void => {
    const key = `${reason}\u0000${ecosystem}`;
    let group = unmatched.get(key);
    if (!group) unmatched.set(key, (group = { ecosystem, reason, packages: 0, examples: [] }));
    group.packages++;
    if (group.examples.length < 5) group.examples.push(example);
  };

  const tuples = new Map<
    string,
    { target: MatchTarget; packages: (InstalledPackage & { ecosystem: string })[] }
  >();
  const covered = index.ecosystems();
  for (const pkg of packages) {
    const label = `${pkg.name}@${pkg.version}`;
    if (pkg.ecosystem === undefined) {
      noteUnmatched(`(${pkg.packageManager})`, 'no-ecosystem', label);
      continue;
    }
    const scheme = schemeForEcosystem(pkg.ecosystem);
    if (!scheme) {
      noteUnmatched(pkg.ecosystem, 'no-version-order', label);
      continue;
    }
    const withEcosystem = pkg as InstalledPackage & { ecosystem: string };
    const target = matchTargetOf(withEcosystem);
    if (!scheme.isValid(target.version)) {
      noteUnmatched(pkg.ecosystem, 'invalid-version', label);
      continue;
    }
    if (!covered.get(pkg.ecosystem)) noteUnmatched(pkg.ecosystem, 'no-advisories', label);
    const key = tupleKey(target);
    let tuple = tuples.get(key);
    if (!tuple) tuples.set(key, (tuple = { target, packages: [] }));
    tuple.packages.push(withEcosystem);
  }

  const findings: Finding[] = [];
  for (const [key, { target, packages: members }] of tuples) {
    let shared = tupleMemo?.get(key);
    if (shared === undefined) {
      const hits = matchTarget(index, target);
      shared = hits.length === 0 ? NO_FINDINGS : findingsForTuple(target, hits, intel);
      tupleMemo?.set(key, shared);
    }
    if (shared.length === 0) continue;
    for (const pkg of members) {
      const findingPackage: Finding['package'] = {
        ecosystem: pkg.ecosystem,
        name: pkg.name,
        version: pkg.version,
      };
      if (pkg.sourceName !== undefined) findingPackage.sourceName = pkg.sourceName;
      if (pkg.sourceVersion !== undefined) findingPackage.sourceVersion = pkg.sourceVersion;
      if (pkg.purl !== undefined) findingPackage.purl = pkg.purl;
      if (pkg.location !== undefined) findingPackage.location = pkg.location;
      for (const finding of shared) findings.push({ ...finding, package: findingPackage });
    }
  }
  return {
    findings,
    packages: packages.length,
    distinctTuples: tuples.size,
    unmatched: [...unmatched.values()],
  };
}
