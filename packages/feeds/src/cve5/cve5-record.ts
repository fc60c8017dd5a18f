/**
 * Converts one CVE JSON 5.x record (cvelistV5, CISA vulnrichment) into a CveRecord, merging the
 * CNA container with the ADP containers: CISA's ADP adds CVSS, CWE, SSVC and KEV data where the
 * CNA gave none.
 */
import { pwError, type CveRecord } from '@patchwarden/core';
import { cpeConfigurations, referencesFrom, ssvcFromOptions, unique } from '../intel-common/cve-parts.ts';
import {
  asArray,
  asString,
  CVE_ID,
  CWE_ID,
  cweIdIn,
  isCalendarDate,
  isRecord,
  toRfc3339,
} from '../intel-common/intel-values.ts';

type Severity = CveRecord['severity'][number];

const CVSS_KEYS: readonly [key: string, type: Severity['type']][] = [
  ['cvssV4_0', 'CVSS_V4'],
  ['cvssV3_1', 'CVSS_V3'],
  ['cvssV3_0', 'CVSS_V3'],
  ['cvssV2_0', 'CVSS_V2'],
];

function invalid(message: string, record?: string, field?: string): never {
  const details: { record?: string; field?: string } = {};
  if (record !== undefined) details.record = record;
  if (field !== undefined) details.field = field;
  throw pwError('PW_ERR_INVALID_RECORD', message, details);
}

function providerName(container: Record<string, unknown>): string | undefined {
  return isRecord(container.providerMetadata) ? asString(container.providerMetadata.shortName) : undefined;
}

function severities(containers: Record<string, unknown>[]): Severity[] {
  const out: Severity[] = [];
  for (const container of containers) {
    const source = providerName(container);
    for (const metric of asArray(container.metrics)) {
      if (!isRecord(metric)) continue;
      for (const [key, type] of CVSS_KEYS) {
        const cvss = metric[key];
        const vector = isRecord(cvss) ? asString(cvss.vectorString)?.trim() : undefined;
        if (!isRecord(cvss) || !vector) continue;
        const severity: Severity = { type, score: vector };
        if (source) severity.source = source;
        if (typeof cvss.baseScore === 'number' && Number.isFinite(cvss.baseScore))
          severity.baseScore = cvss.baseScore;
        out.push(severity);
      }
    }
  }
  return out;
}

/** `cweId` when given; otherwise the id a description starts with (`CWE-125 Out-of-bounds Read`). */
function cwes(containers: Record<string, unknown>[]): string[] {
  const ids: string[] = [];
  for (const container of containers) {
    for (const problem of asArray(container.problemTypes)) {
      if (!isRecord(problem)) continue;
      for (const description of asArray(problem.descriptions)) {
        if (!isRecord(description)) continue;
        const explicit = asString(description.cweId)?.trim();
        const id = explicit && CWE_ID.test(explicit) ? explicit : cweIdIn(asString(description.description));
        if (id) ids.push(id);
      }
    }
  }
  return unique(ids);
}

function otherMetrics(containers: Record<string, unknown>[], type: string): Record<string, unknown>[] {
  return containers.flatMap((container) =>
    asArray(container.metrics).flatMap((metric) => {
      const other = isRecord(metric) && isRecord(metric.other) ? metric.other : undefined;
      return other && other.type === type && isRecord(other.content) ? [other.content] : [];
    }),
  );
}

function englishText(entries: unknown): string | undefined {
  const list = asArray(entries).filter(isRecord);
  const english = list.find((d) => asString(d.lang)?.toLowerCase().startsWith('en')) ?? list[0];
  return english ? asString(english.value) : undefined;
}

export function cveFromCve5(raw: unknown): CveRecord {
  if (!isRecord(raw) || raw.dataType !== 'CVE_RECORD')
    invalid('not a CVE JSON 5 record (dataType is not CVE_RECORD)');
  const metadata = isRecord(raw.cveMetadata)
    ? raw.cveMetadata
    : invalid('cveMetadata is missing', undefined, 'cveMetadata');
  const id = asString(metadata.cveId);
  if (!id || !CVE_ID.test(id))
    invalid(`no valid cveId: ${String(metadata.cveId)}`, undefined, 'cveMetadata.cveId');
  const state = metadata.state;
  if (state !== 'PUBLISHED' && state !== 'REJECTED')
    invalid(`${id}: unknown state ${String(state)}`, id, 'cveMetadata.state');
  // A record that was never updated has only its publication (or rejection, or reservation) date.
  const modified = [
    metadata.dateUpdated,
    metadata.datePublished,
    metadata.dateRejected,
    metadata.dateReserved,
  ]
    .map(asString)
    .find((date) => date !== undefined && !Number.isNaN(Date.parse(toRfc3339(date))));
  if (modified === undefined)
    invalid(`${id}: no readable dateUpdated or datePublished`, id, 'cveMetadata.dateUpdated');
  const containers = isRecord(raw.containers) ? raw.containers : {};
  const cna = isRecord(containers.cna) ? containers.cna : {};
  const all = [cna, ...asArray(containers.adp).filter(isRecord)];
  const cve: CveRecord = {
    id,
    source: 'cve5',
    state,
    modified: toRfc3339(modified),
    severity: severities(all),
    cwes: cwes(all),
    configurations: all.flatMap((c) => cpeConfigurations(c.cpeApplicability)),
    references: referencesFrom(all.map((c) => c.references)),
  };
  const published = asString(metadata.datePublished);
  if (published) cve.published = toRfc3339(published);
  const description = englishText(state === 'REJECTED' ? cna.rejectedReasons : cna.descriptions);
  if (description !== undefined) cve.description = description;
  const ssvc = otherMetrics(all, 'ssvc')
    .map((content) => ssvcFromOptions(content.options))
    .find((points) => points !== undefined);
  if (ssvc) cve.ssvc = ssvc;
  const kevDate = otherMetrics(all, 'kev')
    .map((content) => asString(content.dateAdded))
    .find((date) => date !== undefined && isCalendarDate(date));
  if (kevDate) cve.kevDateAdded = kevDate;
  return cve;
}
