import type { Advisory, AffectedPackage, CveRecord, SeverityRating } from '../intel/advisory.ts';
import { bestCvss } from '../intel/cvss.ts';
import type { Finding, SeverityLabel } from './finding.ts';

const LABELS: Readonly<Record<string, SeverityLabel>> = {
  critical: 'critical',
  high: 'high',
  important: 'high',
  moderate: 'medium',
  medium: 'medium',
  low: 'low',
  negligible: 'negligible',
  unimportant: 'negligible',
  none: 'negligible',
};

function labelOf(text: unknown): SeverityLabel | undefined {
  return typeof text === 'string' ? LABELS[text.trim().toLowerCase()] : undefined;
}

/** A vendor's own rating (GHSA `severity`, Ubuntu priority, Debian urgency, RHSA "Important"). */
function vendorLabel(advisory: Advisory, affected: AffectedPackage): SeverityLabel | undefined {
  for (const rating of [...(affected.severity ?? []), ...advisory.severity]) {
    if (!rating.type.startsWith('CVSS')) {
      const label = labelOf(rating.score);
      if (label) return label;
    }
  }
  const specific = advisory.database_specific ?? {};
  for (const field of ['severity', 'priority', 'ubuntu_priority', 'urgency']) {
    const label = labelOf(specific[field]);
    if (label) return label;
  }
  // AlmaLinux / Red Hat summaries start with the rating: "Important: openssl security update".
  const prefix = advisory.summary?.match(/^(Critical|Important|Moderate|Low):/);
  return prefix ? labelOf(prefix[1]) : undefined;
}

export interface SeverityInput {
  advisory: Advisory;
  affected: AffectedPackage;
}

/** CVSS (best version available, advisory's own first, then NVD/CVE records), else vendor rating. */
export function resolveSeverity(
  inputs: readonly SeverityInput[],
  cves: readonly CveRecord[],
): Pick<Finding, 'severity' | 'cvss'> {
  const ratings: SeverityRating[] = [];
  for (const { advisory, affected } of inputs)
    ratings.push(...(affected.severity ?? []), ...advisory.severity);
  let cvss = bestCvss(ratings);
  if (!cvss) cvss = bestCvss(cves.flatMap((cve) => cve.severity));
  if (cvss) {
    const severity: SeverityLabel = cvss.severity === 'none' ? 'negligible' : cvss.severity;
    return { severity, cvss: { version: cvss.version, vector: cvss.vector, baseScore: cvss.baseScore } };
  }
  for (const { advisory, affected } of inputs) {
    const label = vendorLabel(advisory, affected);
    if (label) return { severity: label };
  }
  return { severity: 'unknown' };
}
