/** Validates one CISA KEV catalogue row (JSON object or CSV record) into a KevEntry. */
import { pwError, type KevEntry } from '@patchwarden/core';
import { asString, CVE_ID, CWE_ID, isCalendarDate, isRecord } from '../intel-common/intel-values.ts';

const REQUIRED_TEXT = [
  'vendorProject',
  'product',
  'vulnerabilityName',
  'requiredAction',
  'knownRansomwareCampaignUse',
] as const;

function invalid(message: string, record: string | undefined, field: string): never {
  const details: { field: string; record?: string } = { field };
  if (record !== undefined) details.record = record;
  throw pwError('PW_ERR_INVALID_RECORD', message, details);
}

/** JSON carries `cwes` as an array; the CSV as one cell, `CWE-59, CWE-436`. */
function cwesOf(value: unknown, record: string): string[] {
  const list = Array.isArray(value)
    ? value
    : typeof value === 'string'
      ? value
          .split(',')
          .map((part) => part.trim())
          .filter((part) => part !== '')
      : value === undefined || value === null
        ? []
        : invalid(`${record}: cwes is neither a list nor text`, record, 'cwes');
  return list.map((cwe) =>
    typeof cwe === 'string' && CWE_ID.test(cwe.trim())
      ? cwe.trim()
      : invalid(`${record}: invalid CWE id ${JSON.stringify(cwe)}`, record, 'cwes'),
  );
}

export function kevEntryFrom(raw: unknown): KevEntry {
  if (!isRecord(raw)) invalid('a KEV entry is not an object', undefined, 'vulnerabilities');
  const cveId = asString(raw.cveID)?.trim();
  if (!cveId || !CVE_ID.test(cveId))
    invalid(`invalid cveID ${JSON.stringify(raw.cveID)}`, cveId || undefined, 'cveID');
  for (const field of ['dateAdded', 'dueDate'] as const) {
    const date = asString(raw[field]);
    if (!date || !isCalendarDate(date))
      invalid(`${cveId}: ${field} is not a YYYY-MM-DD date: ${JSON.stringify(raw[field])}`, cveId, field);
  }
  const text: Partial<Record<(typeof REQUIRED_TEXT)[number], string>> = {};
  for (const field of REQUIRED_TEXT) {
    const value = asString(raw[field]);
    if (value === undefined) invalid(`${cveId}: ${field} is missing`, cveId, field);
    // In the CSV, a line break in a one-line field means an unclosed quote ran into the next row.
    if (field !== 'requiredAction' && /[\r\n]/.test(value))
      invalid(`${cveId}: ${field} spans lines (unclosed quote?)`, cveId, field);
    text[field] = value;
  }
  const entry: KevEntry = {
    cveId,
    vendorProject: text.vendorProject ?? '',
    product: text.product ?? '',
    vulnerabilityName: text.vulnerabilityName ?? '',
    dateAdded: raw.dateAdded as string,
    dueDate: raw.dueDate as string,
    knownRansomwareCampaignUse: text.knownRansomwareCampaignUse ?? '',
    requiredAction: text.requiredAction ?? '',
    cwes: cwesOf(raw.cwes, cveId),
  };
  const shortDescription = asString(raw.shortDescription);
  if (shortDescription !== undefined) entry.shortDescription = shortDescription;
  return entry;
}
