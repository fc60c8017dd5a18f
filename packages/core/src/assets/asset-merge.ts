import type { Asset, AssetSource } from './asset.ts';
import {
  asciiLower,
  isIdentifyingHostname,
  isIdentifyingIp,
  isIdentifyingMac,
  normalizeDnsName,
  normalizeIp,
  normalizeMac,
  shortHostname,
} from './asset-identity.ts';

/**
 * What one source reports about an asset: any subset of its attributes. The store assigns the
 * id; `sources`, `firstSeen` and `lastSeen` follow from who reported it and when.
 */
export type AssetFacts = Partial<Omit<Asset, 'id' | 'sources' | 'firstSeen' | 'lastSeen' | 'inventoryAt'>>;

/**
 * The rule by which an incoming report was recognised as an existing asset. Precedence, first
 * that applies wins:
 *
 * 1. `fqdn`: same fully qualified name. Strong: it survives a NIC swap or a rebuilt VM, which
 *    keeps its role, owner and windows. Several assets with it: the earliest seen (the original).
 * 2. `mac`: a shared MAC that identifies one device (not all-zero, broadcast or multicast).
 *    Strong: it survives renames and identifies devices without DNS (IoT, handhelds).
 * 3. `hostname`: same short host name, only when exactly one asset carries it and the two FQDNs,
 *    when both are known, agree (`web01.prod` is not `web01.staging`). Generic names
 *    (`localhost`, `ubuntu`...) never match.
 * 4. `ip`: a shared routable address, the weakest (DHCP and NAT reuse addresses): only within the
 *    same environment (both known), only when exactly one asset qualifies, and not when both sides
 *    know a host name or MACs that disagree.
 * 5. `none`: a new asset.
 */
export type MergeRule = 'fqdn' | 'mac' | 'hostname' | 'ip' | 'none';

export interface MergeCandidate<T extends Asset = Asset> {
  asset?: T;
  rule: MergeRule;
}

/**
 * Identifiers in one normal form: lower-case names, `aa:bb:...` MACs, canonical IPs; a dotted
 * `hostname` with no `fqdn` is split into both. Values that are not valid identifiers are kept
 * as they are (trimmed): a report is not refused here, it simply cannot merge by them.
 */
export function normalizeAssetFacts(facts: AssetFacts): AssetFacts {
  const out: AssetFacts = { ...facts };
  if (facts.hostname !== undefined) {
    const name = normalizeDnsName(facts.hostname) ?? facts.hostname.trim();
    if (name.includes('.') && facts.fqdn === undefined) out.fqdn = name;
    out.hostname = shortHostname(name);
  }
  if (out.fqdn !== undefined) out.fqdn = normalizeDnsName(out.fqdn) ?? out.fqdn.trim();
  if (facts.macs) out.macs = unique(facts.macs.map((mac) => normalizeMac(mac) ?? asciiLower(mac.trim())));
  if (facts.ips) out.ips = unique(facts.ips.map((ip) => normalizeIp(ip) ?? ip.trim()));
  for (const list of ['tags', 'services', 'assetClasses'] as const) {
    if (facts[list]) (out as Record<string, unknown>)[list] = unique(facts[list].map((v) => v.trim()));
  }
  if (facts.environment !== undefined) out.environment = asciiLower(facts.environment.trim());
  return out;
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

function sameText(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && asciiLower(a) === asciiLower(b);
}

function conflicting(a: readonly string[], b: readonly string[], keep: (v: string) => boolean): boolean {
  const left = a.filter(keep);
  const right = new Set(b.filter(keep));
  return left.length > 0 && right.size > 0 && !left.some((value) => right.has(value));
}

function earliest<T extends Asset>(assets: readonly T[]): T {
  return [...assets].sort(
    (a, b) => (a.firstSeen ?? '').localeCompare(b.firstSeen ?? '') || a.id.localeCompare(b.id),
  )[0]!;
}

/** Finds the existing asset an incoming report describes, and the rule that recognised it. */
export function findMergeCandidate<T extends Asset>(
  incoming: AssetFacts,
  existing: readonly T[],
): MergeCandidate<T> {
  const facts = normalizeAssetFacts(incoming);
  const normalised = existing.map((asset) => ({ asset, facts: normalizeAssetFacts(asset) }));

  if (facts.fqdn !== undefined && normalizeDnsName(facts.fqdn)?.includes('.')) {
    const hits = normalised.filter((e) => sameText(e.facts.fqdn, facts.fqdn));
    if (hits.length > 0) return { asset: earliest(hits.map((e) => e.asset)), rule: 'fqdn' };
  }

  const macs = new Set((facts.macs ?? []).filter(isIdentifyingMac));
  if (macs.size > 0) {
    const hits = normalised.filter((e) => (e.facts.macs ?? []).some((mac) => macs.has(mac)));
    if (hits.length > 0) return { asset: earliest(hits.map((e) => e.asset)), rule: 'mac' };
  }

  if (facts.hostname !== undefined && isIdentifyingHostname(facts.hostname)) {
    const hits = normalised.filter(
      (e) =>
        sameText(e.facts.hostname, facts.hostname) &&
        !(e.facts.fqdn !== undefined && facts.fqdn !== undefined && !sameText(e.facts.fqdn, facts.fqdn)),
    );
    if (hits.length === 1) return { asset: hits[0]!.asset, rule: 'hostname' };
  }

  const ips = new Set((facts.ips ?? []).filter(isIdentifyingIp));
  if (ips.size > 0 && facts.environment !== undefined) {
    const hits = normalised.filter(
      (e) =>
        sameText(e.facts.environment, facts.environment) &&
        (e.facts.ips ?? []).some((ip) => ips.has(ip)) &&
        !(
          e.facts.hostname !== undefined &&
          facts.hostname !== undefined &&
          !sameText(e.facts.hostname, facts.hostname)
        ) &&
        !conflicting(e.facts.macs ?? [], facts.macs ?? [], isIdentifyingMac),
    );
    if (hits.length === 1) return { asset: hits[0]!.asset, rule: 'ip' };
  }
  return { rule: 'none' };
}

/** Single-valued attributes whose value one source may overwrite with another's. */
export const MERGE_ATTRIBUTES = [
  'name',
  'kind',
  'hostname',
  'fqdn',
  'os',
  'kernel',
  'rebootRequired',
  'environment',
  'businessImpact',
  'exposure',
  'dataSensitivity',
  'ownerTeam',
  'location',
  'timeZone',
] as const;
export type MergeAttribute = (typeof MERGE_ATTRIBUTES)[number];

/** Which source set each attribute's current value. */
export type AttributeProvenance = Partial<Record<MergeAttribute, AssetSource>>;

/**
 * The trust table. Facts the machine knows about itself come best from software running on it;
 * facts about the business come best from the people who curate the CMDB.
 *
 * | attribute group                                                   | manual | csv, json | agent | scanner | sbom |
 * | ----------------------------------------------------------------- | ------ | --------- | ----- | ------- | ---- |
 * | observed: hostname, fqdn, os, kernel, rebootRequired              | 2      | 1         | 5     | 3       | 4    |
 * | curated: name, kind, environment, businessImpact, exposure,       | 5      | 4         | 3     | 2       | 1    |
 * |   dataSensitivity, ownerTeam, location, timeZone                  |        |           |       |         |      |
 *
 * An incoming non-empty value replaces the current one when its source ranks at least as high as
 * the source of the current value (so a source's own later report updates it). Lists (ips, macs,
 * tags, services, assetClasses, sources) are unions: no source can take away what another saw.
 */
export const TRUST: Readonly<Record<'observed' | 'curated', Readonly<Record<AssetSource, number>>>> = {
  observed: { agent: 5, sbom: 4, scanner: 3, manual: 2, csv: 1, json: 1 },
  curated: { manual: 5, csv: 4, json: 4, agent: 3, scanner: 2, sbom: 1 },
};

const OBSERVED = new Set<MergeAttribute>(['hostname', 'fqdn', 'os', 'kernel', 'rebootRequired']);

export function trustOf(attribute: MergeAttribute, source: AssetSource): number {
  return TRUST[OBSERVED.has(attribute) ? 'observed' : 'curated'][source];
}

export interface MergeResult {
  asset: Asset;
  provenance: AttributeProvenance;
  /** Attributes whose value the incoming report set or replaced. */
  changed: MergeAttribute[];
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function earlier(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Date.parse(a) <= Date.parse(b) ? a : b;
}

function later(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

/**
 * Who set an attribute when the provenance was not recorded: the most trusted of the asset's
 * sources. Erring that way protects curated values from being overwritten by a weaker source.
 */
function assumedSource(attribute: MergeAttribute, sources: readonly AssetSource[]): AssetSource | undefined {
  let best: AssetSource | undefined;
  for (const source of sources) {
    if (best === undefined || trustOf(attribute, source) > trustOf(attribute, best)) best = source;
  }
  return best;
}

/**
 * Merges what `source` reported at `reportedAt` into an existing asset, following the trust
 * table. Pure: the caller persists the returned asset and provenance.
 */
export function mergeAsset(
  existing: Asset,
  incoming: AssetFacts,
  source: AssetSource,
  options: { provenance?: AttributeProvenance; reportedAt?: string } = {},
): MergeResult {
  const facts = normalizeAssetFacts(incoming);
  const asset: Asset = structuredClone(existing);
  const provenance: AttributeProvenance = { ...options.provenance };
  const changed: MergeAttribute[] = [];
  const target = asset as unknown as Record<MergeAttribute, unknown>;
  for (const attribute of MERGE_ATTRIBUTES) {
    const value = facts[attribute];
    if (isEmpty(value)) continue;
    const current = target[attribute];
    if (!isEmpty(current)) {
      const owner = provenance[attribute] ?? assumedSource(attribute, existing.sources);
      if (owner !== undefined && trustOf(attribute, source) < trustOf(attribute, owner)) continue;
    }
    provenance[attribute] = source;
    if (!sameValue(current, value)) {
      target[attribute] = structuredClone(value);
      changed.push(attribute);
    }
  }
  asset.ips = unique([...existing.ips, ...(facts.ips ?? [])]);
  asset.macs = unique([...existing.macs, ...(facts.macs ?? [])]);
  asset.tags = unique([...existing.tags, ...(facts.tags ?? [])]);
  asset.services = unique([...existing.services, ...(facts.services ?? [])]);
  asset.assetClasses = unique([...existing.assetClasses, ...(facts.assetClasses ?? [])]);
  asset.sources = unique([...existing.sources, source]);
  const firstSeen = earlier(existing.firstSeen, options.reportedAt);
  const lastSeen = later(existing.lastSeen, options.reportedAt);
  if (firstSeen !== undefined) asset.firstSeen = firstSeen;
  if (lastSeen !== undefined) asset.lastSeen = lastSeen;
  return { asset, provenance, changed };
}

/**
 * A new asset from one report. Its name is the reported name, else the host name, FQDN, first IP
 * or first MAC; its kind defaults to `server` (what agents and scanners report).
 */
export function assetFromFacts(
  id: string,
  incoming: AssetFacts,
  source: AssetSource,
  reportedAt: string,
): { asset: Asset; provenance: AttributeProvenance } {
  const facts = normalizeAssetFacts(incoming);
  const name = [facts.name, facts.hostname, facts.fqdn, facts.ips?.[0], facts.macs?.[0]].find(
    (value) => value !== undefined && value.trim() !== '',
  );
  const asset: Asset = {
    ...structuredClone(facts),
    id,
    name: name?.trim() ?? id,
    kind: facts.kind ?? 'server',
    ips: facts.ips ?? [],
    macs: facts.macs ?? [],
    services: facts.services ?? [],
    tags: facts.tags ?? [],
    assetClasses: facts.assetClasses ?? [],
    sources: [source],
    firstSeen: reportedAt,
    lastSeen: reportedAt,
  };
  for (const key of Object.keys(asset) as (keyof Asset)[]) if (asset[key] === undefined) delete asset[key];
  const provenance: AttributeProvenance = {};
  for (const attribute of MERGE_ATTRIBUTES) if (!isEmpty(facts[attribute])) provenance[attribute] = source;
  provenance.name = source;
  provenance.kind = source;
  return { asset, provenance };
}
