/** Converts one NVD CVE API 2.0 `cve` object into a CveRecord. */
import { pwError, type CveRecord } from '@patchwarden/core';
import { cpeConfigurations, referencesFrom, ssvcFromOptions, unique } from '../intel-common/cve-parts.ts';
import {
  asArray,
  asString,
  CVE_ID,
  CWE_ID,
  isCalendarDate,
  isRecord,
  toRfc3339,
} from '../intel-common/intel-values.ts';

type Severity = CveRecord['severity'][number];

/** Most expressive first, so that a reader of `severity` meets v4 before v2. */
const METRICS: readonly [key: string, type: Severity['type']][] = [
  ['cvssMetricV40', 'CVSS_V4'],
  ['cvssMetricV31', 'CVSS_V3'],
  ['cvssMetricV30', 'CVSS_V3'],
  ['cvssMetricV2', 'CVSS_V2'],
];

function severities(metrics: Record<string, unknown>): Severity[] {
  const out: Severity[] = [];
  for (const [key, type] of METRICS) {
    for (const metric of asArray(metrics[key])) {
      if (!isRecord(metric) || !isRecord(metric.cvssData)) continue;
      const vector = asString(metric.cvssData.vectorString)?.trim();
      if (!vector) continue;
      const severity: Severity = { type, score: vector };
      const source = asString(metric.source);
      if (source) severity.source = source;
      const baseScore = metric.cvssData.baseScore;
      if (typeof baseScore === 'number' && Number.isFinite(baseScore)) severity.baseScore = baseScore;
      out.push(severity);
    }
  }
  return out;
}

/** `NVD-CWE-noinfo` and `NVD-CWE-Other` say "no CWE": only real ids are kept. */
function cwes(weaknesses: unknown): string[] {
  const ids: string[] = [];
  for (const weakness of asArray(weaknesses)) {
    if (!isRecord(weakness)) continue;
    for (const description of asArray(weakness.description)) {
      const value = isRecord(description) ? asString(description.value)?.trim() : undefined;
      if (value && CWE_ID.test(value)) ids.push(value);
    }
  }
  return unique(ids);
}

function englishText(descriptions: unknown): string | undefined {
  const list = asArray(descriptions).filter(isRecord);
  const english = list.find((d) => asString(d.lang)?.toLowerCase().startsWith('en')) ?? list[0];
  return english ? asString(english.value) : undefined;
}

export function cveFromNvd(raw: unknown): CveRecord {
  if (!isRecord(raw)) throw pwError('PW_ERR_INVALID_RECORD', 'An NVD entry is not a JSON object', {});
  const id = asString(raw.id);
  if (!id || !CVE_ID.test(id)) {
    throw pwError('PW_ERR_INVALID_RECORD', `NVD record has no valid CVE id: ${String(raw.id)}`, {
      field: 'id',
    });
  }
  const lastModified = asString(raw.lastModified);
  if (!lastModified || Number.isNaN(Date.parse(toRfc3339(lastModified)))) {
    throw pwError('PW_ERR_INVALID_RECORD', `${id}: lastModified is missing or not a timestamp`, {
      record: id,
      field: 'lastModified',
    });
  }
  const cve: CveRecord = {
    id,
    source: 'nvd',
    state: raw.vulnStatus === 'Rejected' ? 'REJECTED' : 'PUBLISHED',
    modified: toRfc3339(lastModified),
    severity: isRecord(raw.metrics) ? severities(raw.metrics) : [],
    cwes: cwes(raw.weaknesses),
    configurations: cpeConfigurations(raw.configurations),
    references: referencesFrom([raw.references]),
  };
  const published = asString(raw.published);
  if (published) cve.published = toRfc3339(published);
  const description = englishText(raw.descriptions);
  if (description !== undefined) cve.description = description;
  const kevDate = asString(raw.cisaExploitAdd);
  if (kevDate && isCalendarDate(kevDate)) cve.kevDateAdded = kevDate;
  const ssvc = isRecord(raw.metrics)
    ? asArray(raw.metrics.ssvcV203)
        .map((m) => (isRecord(m) && isRecord(m.ssvcData) ? ssvcFromOptions(m.ssvcData.options) : undefined))
        .find((points) => points !== undefined)
    : undefined;
  if (ssvc) cve.ssvc = ssvc;
  return cve;
}
