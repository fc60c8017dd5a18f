import type { SourceLocation } from '../inventory/installed-package.ts';

export type SeverityLabel = 'critical' | 'high' | 'medium' | 'low' | 'negligible' | 'unknown';

export const SEVERITY_RANK: Readonly<Record<SeverityLabel, number>> = Object.freeze({
  unknown: 0,
  negligible: 1,
  low: 2,
  medium: 3,
  high: 4,
  critical: 5,
});

/** Why a finding exists: one advisory, one range that contained the installed version. */
export interface FindingEvidence {
  advisoryId: string;
  /** Feed the advisory came from (`osv`, `ubuntu-uct`, `debian-tracker`...). */
  source: string;
  ecosystem: string;
  /** The name the advisory uses (the source package for distro advisories). */
  advisoryPackage: string;
  /** The version that was compared (the source version for distro advisories). */
  comparedVersion: string;
  range: string;
  rangeType: string;
  fixed?: string;
  lastAffected?: string;
}

export interface FindingPackage {
  ecosystem: string;
  name: string;
  version: string;
  sourceName?: string;
  sourceVersion?: string;
  purl?: string;
  location?: SourceLocation;
}

/** One vulnerability affecting one installed package, with everything that explains it. */
export interface Finding {
  /** Canonical id: the CVE when the vulnerability has exactly one, else the advisory id. */
  id: string;
  /** Every id the vulnerability is known by (CVE, GHSA, USN, DSA, ALSA...). */
  aliases: string[];
  /**
   * CVEs the matching advisories fix without being the same vulnerability (an erratum such as
   * ALSA-2024:1234 fixes several). They feed KEV, EPSS and scoring.
   */
  relatedCves?: string[];
  package: FindingPackage;
  /** The lowest version that fixes every matching advisory; absent when no fix is published. */
  fixedVersion?: string;
  severity: SeverityLabel;
  cvss?: { version: string; vector: string; baseScore: number };
  cwes: string[];
  kev?: { dateAdded: string; dueDate: string; knownRansomwareCampaignUse: string };
  epss?: { score: number; percentile?: number; date?: string };
  summary?: string;
  evidence: FindingEvidence[];
}
