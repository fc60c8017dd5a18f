/** Small checks and conversions shared by the CVE, KEV, EPSS and CWE readers. */
import { pwError } from '@patchwarden/core';

export const CVE_ID = /^CVE-\d{4}-\d{4,}$/;
export const CWE_ID = /^CWE-\d+$/;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A calendar date `YYYY-MM-DD` that exists (no 2024-02-30). */
export function isCalendarDate(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/**
 * NVD writes UTC instants without a zone (`2022-05-20T21:15:10.530`); adding the `Z` makes them
 * RFC 3339 and comparable with CVE JSON 5 and `since`.
 */
export function toRfc3339(timestamp: string): string {
  const zoneless = /T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/.test(timestamp);
  return zoneless ? `${timestamp}Z` : timestamp;
}

export function instant(timestamp: string | undefined): number {
  return timestamp === undefined ? Number.NaN : Date.parse(toRfc3339(timestamp));
}

/** Checks `since` once, before reading: a cut that cannot be read would silently keep or drop all. */
export function sinceInstant(since: string | undefined): number | undefined {
  if (since === undefined) return undefined;
  const cut = instant(since);
  if (Number.isNaN(cut)) {
    throw pwError('PW_ERR_USAGE', `"since" is not an RFC 3339 instant: ${since}`, { field: 'since' });
  }
  return cut;
}

/** Whether a record modified at `modified` passes the cut (strictly later); unreadable dates pass. */
export function isAfterSince(modified: string, cut: number | undefined): boolean {
  if (cut === undefined) return true;
  const at = instant(modified);
  return Number.isNaN(at) || at > cut;
}

/** CWE ids as `CWE-79`, from text like `CWE-79`, `CWE-79 Improper...` or `CWE-79: ...`. */
export function cweIdIn(text: string | undefined): string | undefined {
  const match = text === undefined ? null : /^\s*(CWE-\d+)\b/.exec(text);
  return match?.[1];
}

/**
 * OSV reference type for the tags NVD (`Vendor Advisory`) and CVE 5 (`vendor-advisory`) use. A
 * reference often has several tags (`Exploit`, `Third Party Advisory`); the most specific wins.
 */
const REFERENCE_TYPES: readonly [tag: string, type: string][] = [
  ['patch', 'FIX'],
  ['vendor-advisory', 'ADVISORY'],
  ['third-party-advisory', 'ADVISORY'],
  ['us-government-resource', 'ADVISORY'],
  ['exploit', 'EVIDENCE'],
  ['issue-tracking', 'REPORT'],
  ['mailing-list', 'DISCUSSION'],
  ['technical-description', 'ARTICLE'],
  ['release-notes', 'ARTICLE'],
  ['product', 'PACKAGE'],
];

export function referenceType(tags: unknown): string {
  const folded = new Set(
    asArray(tags).flatMap((tag) =>
      typeof tag === 'string' ? [tag.trim().toLowerCase().replace(/\s+/g, '-')] : [],
    ),
  );
  return REFERENCE_TYPES.find(([tag]) => folded.has(tag))?.[1] ?? 'WEB';
}
