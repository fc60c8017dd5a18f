import type { AuditEntry } from './audit-entry.ts';

export const AUDIT_CSV_COLUMNS = Object.freeze([
  'seq',
  'at',
  'actor_kind',
  'actor_id',
  'actor_name',
  'action',
  'target_type',
  'target_id',
  'before',
  'after',
  'details',
  'prev_hash',
  'hash',
] as const);

/** A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection"). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One RFC 4180 cell, always quoted. Text that a spreadsheet would evaluate gets a leading
 * apostrophe: audit data holds user-chosen names, and an export must not run them.
 */
export function csvCell(value: string | number | null): string {
  if (value === null) return '""';
  let text = String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return `"${text.replaceAll('"', '""')}"`;
}

function jsonCell(value: unknown): string | null {
  return value === null ? null : JSON.stringify(value);
}

export function csvHeader(): string {
  return `${AUDIT_CSV_COLUMNS.map(csvCell).join(',')}\r\n`;
}

export function csvRow(entry: AuditEntry): string {
  const cells = [
    entry.seq,
    entry.at,
    entry.actor.kind,
    entry.actor.id,
    entry.actor.name,
    entry.action,
    entry.target.type,
    entry.target.id,
    jsonCell(entry.before),
    jsonCell(entry.after),
    jsonCell(entry.details),
    entry.prevHash,
    entry.hash,
  ];
  return `${cells.map(csvCell).join(',')}\r\n`;
}
