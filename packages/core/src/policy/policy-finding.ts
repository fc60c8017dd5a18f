/**
 * A finding as policy sees it: a matched vulnerability on one asset, with when it was first seen
 * there (the SLA clock starts then, not when someone looks) and whether it is still open.
 */
import type { Finding } from '../matching/finding.ts';
import type { PatchAdvisory, PatchCandidate } from '../patches/classify-patch.ts';

/**
 * `open` findings are queued. `risk-accepted` is a person's opt-out: suppressed like an exception,
 * except that an emergency in force for the finding overrides it. Fixed and false-positive
 * findings are closed.
 */
export type FindingStatus = 'open' | 'fixed' | 'false-positive' | 'risk-accepted';

export interface RiskAcceptance {
  by: string;
  reason: string;
  at?: string;
}

export interface PolicyFinding extends Finding {
  assetId: string;
  /** RFC 3339 instant the finding was first seen on the asset. */
  firstSeen: string;
  status: FindingStatus;
  /** Who accepted the risk and why, for a `risk-accepted` finding. */
  acceptance?: RiskAcceptance;
}

/** One identity per finding: the asset, the vulnerability and the installed package. */
export function findingKey(finding: Pick<PolicyFinding, 'assetId' | 'id' | 'package'>): string {
  const { ecosystem, name, version } = finding.package;
  return `${finding.assetId}|${finding.id}|${ecosystem}|${name}|${version}`;
}

/**
 * The package an upgrade installs: for OS packages the source package (one `dnf upgrade openssl`
 * brings openssl-libs along), else the package itself.
 */
export function patchPackageName(finding: Pick<Finding, 'package'>): string {
  return finding.package.sourceName ?? finding.package.name;
}

const idCache = new WeakMap<object, ReadonlySet<string>>();

/**
 * Every id the finding's vulnerability is known by, upper-cased: its id, aliases, related CVEs,
 * advisories. Cached per finding object: exceptions, emergencies and approval lists all ask.
 */
export function vulnerabilityIds(
  finding: Pick<Finding, 'id' | 'aliases' | 'relatedCves' | 'evidence'>,
): ReadonlySet<string> {
  const cached = idCache.get(finding);
  if (cached) return cached;
  const ids = new Set<string>([finding.id.toUpperCase()]);
  for (const alias of finding.aliases) ids.add(alias.toUpperCase());
  for (const cve of finding.relatedCves ?? []) ids.add(cve.toUpperCase());
  for (const evidence of finding.evidence) ids.add(evidence.advisoryId.toUpperCase());
  idCache.set(finding, ids);
  return ids;
}

/** The classification view of the advisories behind some findings of one package upgrade. */
export function patchCandidateOf(
  ecosystem: string,
  packageName: string,
  fixedVersion: string,
  findings: readonly Finding[],
): PatchCandidate {
  const advisories = new Map<string, PatchAdvisory>();
  for (const finding of findings) {
    const cves = [finding.id, ...finding.aliases, ...(finding.relatedCves ?? [])].filter((id) =>
      id.toUpperCase().startsWith('CVE-'),
    );
    for (const evidence of finding.evidence.length > 0 ? finding.evidence : [{ advisoryId: finding.id }]) {
      if (advisories.has(evidence.advisoryId)) continue;
      const advisory: PatchAdvisory = {
        id: evidence.advisoryId,
        aliases: finding.aliases,
        severity: finding.severity,
        cves,
      };
      if (finding.summary !== undefined) advisory.summary = finding.summary;
      advisories.set(evidence.advisoryId, advisory);
    }
  }
  return { ecosystem, packageName, fixedVersion, advisories: [...advisories.values()] };
}
