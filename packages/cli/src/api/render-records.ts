import { pwError } from '@patchwarden/core';

export type OutputFormat = 'table' | 'json';

export interface Column<T> {
  header: string;
  value: (row: T) => string | number | boolean | null | undefined;
  /** Longest cell before it is cut with an ellipsis (default 40). */
  max?: number;
}

export function parseOutputFormat(
  text: string | undefined,
  allowed: readonly string[] = ['table', 'json'],
): string {
  const format = text ?? allowed[0]!;
  if (!allowed.includes(format)) {
    throw pwError('PW_ERR_USAGE', `Unknown format ${format}: use ${allowed.join(' or ')}`, {
      field: 'format',
    });
  }
  return format;
}

function cell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined || value === '') return '-';
  return String(value).replace(/[\r\n\t]+/g, ' ');
}

/** Columns as wide as their widest cell (capped), one header line, rows in the given order. */
export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((row) =>
    columns.map((column) => {
      const text = cell(column.value(row));
      const max = column.max ?? 40;
      return text.length > max ? `${text.slice(0, max - 1)}…` : text;
    }),
  );
  const widths = columns.map((column, i) =>
    Math.max(column.header.length, ...cells.map((r) => r[i]!.length)),
  );
  const line = (parts: readonly string[]) =>
    parts
      .map((part, i) => (i === parts.length - 1 ? part : part.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return `${[line(columns.map((c) => c.header)), ...cells.map(line)].join('\n')}\n`;
}

/** Two-space indented JSON with a final newline: stable for scripts and diffs. */
export function renderJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** `key: value` lines for one record, nested values as compact JSON. */
export function renderFields(record: Record<string, unknown>): string {
  const keys = Object.keys(record);
  const width = Math.max(0, ...keys.map((k) => k.length));
  return `${keys
    .map((key) => {
      const value = record[key];
      const text =
        value === undefined || value === null
          ? '-'
          : typeof value === 'object'
            ? Array.isArray(value) && value.every((v) => typeof v !== 'object')
              ? value.join(', ') || '-'
              : JSON.stringify(value)
            : String(value);
      return `${`${key}:`.padEnd(width + 2)}${text}`;
    })
    .join('\n')}\n`;
}
