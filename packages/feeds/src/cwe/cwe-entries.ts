/**
 * CWE entries from the catalogue's non-XML shapes: MITRE's CSV rows (`1000.csv`), and the JSON
 * that tools publish: APTRS (`{name: "CWE-79: ...", description}`), DefectDojo's Django fixture
 * (`{model: "dojo.cwe", fields: {number, description}}`) and vuln-list-update
 * (`{ID, Name, Description, Abstraction, RelatedWeaknesses}`).
 */
import { pwError, type CweEntry } from '@patchwarden/core';
import { unique } from '../intel-common/cve-parts.ts';
import { asArray, asString, isRecord } from '../intel-common/intel-values.ts';
import { RESEARCH_VIEW } from './cwe-xml.ts';

function invalid(message: string, record?: string): never {
  throw pwError('PW_ERR_INVALID_RECORD', message, record === undefined ? {} : { record });
}

function cweId(raw: unknown): string {
  const text = typeof raw === 'number' ? String(raw) : asString(raw)?.trim().replace(/^CWE-/i, '');
  if (!text || !/^\d+$/.test(text)) invalid(`invalid CWE id ${JSON.stringify(raw)}`);
  return `CWE-${Number(text)}`;
}

function entry(
  id: string,
  name: unknown,
  extra: { description?: unknown; abstraction?: unknown; parents?: string[] },
): CweEntry {
  const text = asString(name)?.trim();
  if (!text) invalid(`${id}: name is missing`, id);
  const result: CweEntry = { id, name: text, parents: unique(extra.parents ?? []) };
  const description = asString(extra.description)?.trim();
  if (description) result.description = description;
  const abstraction = asString(extra.abstraction)?.trim();
  if (abstraction) result.abstraction = abstraction;
  return result;
}

/** `::NATURE:ChildOf:CWE ID:20:VIEW ID:1000:ORDINAL:Primary::NATURE:...` */
export function parentsFromCsv(related: string | undefined): string[] {
  const parents: string[] = [];
  for (const relation of (related ?? '').split('::')) {
    const match = /NATURE:(\w+):CWE ID:(\d+):VIEW ID:(\d+)/.exec(relation);
    if (match && match[1] === 'ChildOf' && match[3] === RESEARCH_VIEW) parents.push(`CWE-${match[2]}`);
  }
  return parents;
}

export function cweFromCsvRow(row: Record<string, string>): CweEntry {
  const id = cweId(row['CWE-ID']);
  return entry(id, row.Name, {
    description: row.Description,
    abstraction: row['Weakness Abstraction'],
    parents: parentsFromCsv(row['Related Weaknesses']),
  });
}

function vulnListParents(related: unknown): string[] {
  const list = isRecord(related) ? asArray(related.RelatedWeakness) : [];
  return list.flatMap((relation) =>
    isRecord(relation) && relation.Nature === 'ChildOf' && String(relation.ViewID) === RESEARCH_VIEW
      ? [cweId(relation.CWEID)]
      : [],
  );
}

/** One element of a CWE JSON document, whichever of the three known shapes it has. */
export function cweFromJson(raw: unknown): CweEntry {
  if (!isRecord(raw)) invalid('a CWE entry is not an object');
  if (raw.model === 'dojo.cwe' && isRecord(raw.fields)) {
    return entry(cweId(raw.fields.number ?? raw.pk), raw.fields.description, {});
  }
  if (raw.ID !== undefined && raw.Name !== undefined) {
    return entry(cweId(raw.ID), raw.Name, {
      description: raw.Description,
      abstraction: raw.Abstraction,
      parents: vulnListParents(raw.RelatedWeaknesses),
    });
  }
  const title = asString(raw.name);
  const match = title === undefined ? null : /^\s*CWE-(\d+)\s*:\s*(.*)$/s.exec(title);
  if (match) return entry(cweId(match[1]), match[2], { description: raw.description });
  return invalid(`unrecognised CWE entry (keys: ${Object.keys(raw).slice(0, 5).join(', ')})`);
}
