/**
 * The advisory model: OSV's schema (https://ossf.github.io/osv-schema/) in full, because every
 * feed we read can be expressed in it. Distro feeds in native formats (Debian tracker, Alpine
 * secdb, Ubuntu CVE Tracker) and NVD/CVE records are converted into this same shape.
 */

/** OSV range event: exactly one key is set. */
export type RangeEvent =
  { introduced: string } | { fixed: string } | { last_affected: string } | { limit: string };

export type RangeType = 'ECOSYSTEM' | 'SEMVER' | 'GIT';

export interface AffectedRange {
  type: RangeType;
  /** Only for GIT ranges: the repository the commit hashes belong to. */
  repo?: string;
  events: RangeEvent[];
  database_specific?: Record<string, unknown>;
}

export type SeverityType = 'CVSS_V2' | 'CVSS_V3' | 'CVSS_V4' | 'Ubuntu' | 'Debian' | 'Alpine' | string;

export interface SeverityRating {
  type: SeverityType;
  /** A CVSS vector string, or for distro types their own rating ("high", "medium"...). */
  score: string;
}

export interface AffectedPackage {
  /**
   * OSV ecosystem with its release suffix where the feed has one, exactly as OSV writes it:
   * `Ubuntu:22.04:LTS`, `Debian:12`, `Alpine:v3.19`, `AlmaLinux:9`, `npm`, `PyPI`...
   */
  ecosystem: string;
  /** For distro ecosystems the source package name (Debian, Ubuntu, Alpine origin). */
  name: string;
  purl?: string;
  ranges: AffectedRange[];
  /** Explicitly enumerated affected versions (OSV `versions`). */
  versions: string[];
  severity?: SeverityRating[];
  /** Distro binary package names built from `name` (Ubuntu `ecosystem_specific.binaries`). */
  binaries?: string[];
  ecosystem_specific?: Record<string, unknown>;
  database_specific?: Record<string, unknown>;
}

export interface Reference {
  type: string;
  url: string;
}

export interface Advisory {
  id: string;
  /** Other ids for the same vulnerability (CVE, GHSA, USN, DSA...). */
  aliases: string[];
  /** Ids of closely related but distinct vulnerabilities. */
  related: string[];
  /**
   * OSV 1.7 `upstream`: the ids this advisory derives from. Ubuntu's UBUNTU-CVE-X records name
   * their CVE here rather than in `aliases`, so identity and CVE enrichment read both.
   */
  upstream?: string[];
  /** Which importer produced the record: `osv`, `nvd`, `cve5`, `debian-tracker`, `ubuntu-uct`... */
  source: string;
  schema_version?: string;
  /** RFC 3339. Drives incremental import: a record is replaced only by a newer `modified`. */
  modified: string;
  published?: string;
  /** A withdrawn advisory is kept for history but never matches. */
  withdrawn?: string;
  summary?: string;
  details?: string;
  severity: SeverityRating[];
  /** CWE ids as `CWE-79`. */
  cwes: string[];
  affected: AffectedPackage[];
  references: Reference[];
  /** Distro-specific data kept as published: e.g. Ubuntu priority, Debian urgency. */
  database_specific?: Record<string, unknown>;
}

/** Per-CVE intelligence that is not tied to a package: KEV, EPSS, NVD scoring, CWE. */
export interface KevEntry {
  cveId: string;
  vendorProject: string;
  product: string;
  vulnerabilityName: string;
  dateAdded: string;
  dueDate: string;
  knownRansomwareCampaignUse: string;
  requiredAction: string;
  shortDescription?: string;
  cwes: string[];
}

export interface EpssScore {
  cveId: string;
  /** Probability of exploitation activity in the next 30 days, 0..1. */
  epss: number;
  /** Percentile among all scored CVEs, 0..1; absent in the oldest EPSS files. */
  percentile?: number;
  /** The day the score was computed (`score_date`), YYYY-MM-DD. */
  date?: string;
  modelVersion?: string;
}

export interface CweEntry {
  id: string; // 'CWE-79'
  name: string;
  description?: string;
  abstraction?: string;
  /** Parent CWE ids in the research view (ChildOf), when the catalogue carries them. */
  parents: string[];
}

export function isWithdrawn(advisory: Pick<Advisory, 'withdrawn'>): boolean {
  return advisory.withdrawn !== undefined && advisory.withdrawn !== '';
}

/** Every id the vulnerability is known by (its own first, then aliases and upstream ids). */
export function allIds(advisory: Pick<Advisory, 'id' | 'aliases' | 'upstream'>): string[] {
  const ids = [advisory.id];
  for (const id of [...advisory.aliases, ...(advisory.upstream ?? [])]) if (!ids.includes(id)) ids.push(id);
  return ids;
}

/** A CPE applicability statement from NVD (`configurations[].nodes[]`), kept as published. */
export interface CpeMatch {
  vulnerable: boolean;
  criteria: string;
  versionStartIncluding?: string;
  versionStartExcluding?: string;
  versionEndIncluding?: string;
  versionEndExcluding?: string;
}

export interface CpeNode {
  operator: 'OR' | 'AND';
  negate?: boolean;
  cpeMatch: CpeMatch[];
}

export interface CpeConfiguration {
  operator?: 'OR' | 'AND';
  negate?: boolean;
  nodes: CpeNode[];
}

/** CISA SSVC decision points as CISA's ADP container publishes them in CVE records. */
export interface SsvcPoints {
  exploitation?: 'none' | 'poc' | 'active';
  automatable?: 'yes' | 'no';
  technicalImpact?: 'partial' | 'total';
}

/**
 * A CVE as NVD (API 2.0) or the CVE List (JSON 5) describes it: scoring and weakness data that
 * enrich package advisories carrying the same id as an alias.
 */
export interface CveRecord {
  id: string;
  source: 'nvd' | 'cve5';
  state: 'PUBLISHED' | 'REJECTED';
  published?: string;
  modified: string;
  description?: string;
  /** CVSS vectors from every scorer; `source` says who (nvd@nist.gov, a CNA, CISA-ADP). */
  severity: (SeverityRating & { source?: string; baseScore?: number })[];
  cwes: string[];
  configurations: CpeConfiguration[];
  ssvc?: SsvcPoints;
  /** Date CISA added it to KEV, when the record says so (CISA ADP). */
  kevDateAdded?: string;
  references: Reference[];
}

const CVE_ID = /\bCVE-\d{4}-\d{4,}\b/g;

/**
 * CVE ids an advisory speaks about: its own ids and aliases, and the CVEs it fixes but is not
 * identical to (`related`, and the CVE pages its references point at: AlmaLinux and Red Hat
 * errata list their CVEs only there). Used for enrichment (KEV, EPSS, NVD scores), not identity.
 */
export function cveIdsOf(
  advisory: Pick<Advisory, 'id' | 'aliases' | 'upstream' | 'related' | 'references'>,
): string[] {
  // Advisories are read-only once built, and the same ones are matched against host after host
  // (an indexed advisory serves a whole fleet): the reference scan is done once per object.
  let ids = cveIdsMemo.get(advisory);
  if (ids === undefined) {
    ids = scanCveIds(advisory);
    cveIdsMemo.set(advisory, ids);
  }
  return ids.slice();
}

const cveIdsMemo = new WeakMap<object, string[]>();

function scanCveIds(
  advisory: Pick<Advisory, 'id' | 'aliases' | 'upstream' | 'related' | 'references'>,
): string[] {
  const ids = new Set<string>();
  for (const id of [...allIds(advisory), ...advisory.related]) if (id.startsWith('CVE-')) ids.add(id);
  for (const reference of advisory.references)
    for (const match of reference.url.matchAll(CVE_ID)) ids.add(match[0]);
  return [...ids];
}
