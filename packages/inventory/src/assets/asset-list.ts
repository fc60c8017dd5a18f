import { parse } from 'csv-parse/sync';
import type { AssetRecord, PatchwardenError } from '@patchwarden/core';
import { ASSET_IMPORT_COLUMNS, pwError, resolveAssetColumn, suggestAssetColumn } from '@patchwarden/core';

/**
 * Asset lists exported from spreadsheets, network management and MDM tools (network gear, IoT,
 * handhelds: what no agent reports), read into `AssetRecord`s with the line each starts on. Only
 * the syntax is checked here; the values are validated by the core's `assetFactsFromRecord`, the
 * one place that judges a row wherever it came from (a file here, a JSON body at the API).
 */

function invalid(
  file: string,
  line: number,
  message: string,
  details: Record<string, unknown> = {},
): PatchwardenError {
  return pwError('PW_ERR_INVALID_RECORD', `${file}:${line}: ${message}`, { file, line, ...details });
}

/** Spreadsheets in comma-decimal locales export `;`-separated files: the header line tells which. */
function delimiterOf(headerLine: string): string {
  const counts = [',', ';', '\t'].map((d) => [d, headerLine.split(d).length] as const);
  return counts.reduce((best, next) => (next[1] > best[1] ? next : best))[0];
}

function csvFailure(file: string, cause: unknown): PatchwardenError {
  const message = cause instanceof Error ? cause.message : String(cause);
  const line = (cause as { lines?: unknown }).lines;
  return pwError(
    'PW_ERR_PARSE',
    `${file}${typeof line === 'number' ? `:${line}` : ''}: not a valid CSV file: ${message}`,
    typeof line === 'number' ? { file, line } : { file },
    cause,
  );
}

/** Byte offsets where lines start (after `\r\n`, a lone `\r` or `\n`), for offset -> line. */
function lineStarts(bytes: Uint8Array): number[] {
  const starts = [0];
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (byte === 0x0a || (byte === 0x0d && bytes[i + 1] !== 0x0a)) starts.push(i + 1);
  }
  return starts;
}

function lineOf(starts: readonly number[], offset: number): number {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (starts[mid]! <= offset) low = mid;
    else high = mid - 1;
  }
  return low + 1;
}

/**
 * A CSV asset list: a header row naming columns (any spelling `resolveAssetColumn` knows, in any
 * order), then one asset per row. Lists inside a cell are separated by `;`, `,`, `|` or spaces.
 * An unknown or repeated header is an error at line 1 naming its column.
 */
export function parseAssetCsv(text: string, file: string): AssetRecord[] {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const firstLine = body.split(/\r\n|\r|\n/, 1)[0] ?? '';
  let rows: { record: string[]; info: { bytes: number } }[];
  try {
    rows = parse(body, {
      delimiter: delimiterOf(firstLine),
      record_delimiter: ['\r\n', '\n', '\r'],
      info: true,
      skip_empty_lines: true,
      relax_column_count: true,
    }) as unknown as { record: string[]; info: { bytes: number } }[];
  } catch (cause) {
    throw csvFailure(file, cause);
  }
  const [header, ...data] = rows;
  if (header === undefined) throw invalid(file, 1, 'empty file: expected a header row naming the columns');
  const keys: string[] = [];
  const seen = new Map<string, number>();
  header.record.forEach((name, index) => {
    const column = index + 1;
    const key = name.trim();
    if (key === '') throw invalid(file, 1, `column ${column} has no name`, { column });
    const resolved = resolveAssetColumn(key);
    if (resolved === undefined) {
      const suggestion = suggestAssetColumn(key);
      throw invalid(
        file,
        1,
        `unknown column "${key}" (column ${column})${suggestion ? `; did you mean "${suggestion}"?` : `; known columns: ${ASSET_IMPORT_COLUMNS.join(', ')}`}`,
        { column, field: key },
      );
    }
    const previous = seen.get(resolved);
    if (previous !== undefined) {
      throw invalid(file, 1, `column ${column} ("${key}") repeats column ${previous}`, {
        column,
        field: key,
      });
    }
    seen.set(resolved, column);
    keys.push(key);
  });
  const columns = Object.fromEntries(keys.map((key, index) => [key, index + 1]));
  // csv-parse's own line count takes a CRLF inside a quoted cell for two lines; its byte offset
  // of each record's end is exact, so lines are counted here from the bytes.
  const bytes = new TextEncoder().encode(body);
  const starts = lineStarts(bytes);
  let end = header.info.bytes;
  return data.map(({ record, info }) => {
    let start = end;
    while (bytes[start] === 0x0a || bytes[start] === 0x0d) start++;
    end = info.bytes;
    const line = lineOf(starts, start);
    if (record.length > keys.length) {
      throw invalid(file, line, `${record.length} cells but the header names ${keys.length} columns`, {
        column: keys.length + 1,
      });
    }
    const values: Record<string, string> = {};
    record.forEach((cell, index) => {
      if (cell.trim() !== '') values[keys[index]!] = cell;
    });
    return { file, line, values, columns };
  });
}

/**
 * Lines where each element of the asset array starts: the root array, or the `assets` array of a
 * root object. A small scanner rather than a parser: JSON.parse has already validated the text.
 */
function elementLines(text: string): number[] {
  const lines: number[] = [];
  const stack: ('{' | '[' | 'target')[] = [];
  let line = 1;
  let inString = false;
  let escaped = false;
  let current = '';
  let key: string | undefined;
  let lastString: string | undefined;
  for (const char of text) {
    if (char === '\n') line++;
    if (inString) {
      if (escaped) escaped = false;
      else if (char === '\\') escaped = true;
      else if (char === '"') {
        inString = false;
        lastString = current;
      } else current += char;
      continue;
    }
    switch (char) {
      case '"':
        inString = true;
        current = '';
        break;
      case ':':
        if (stack.length === 1 && stack[0] === '{') key = lastString;
        break;
      case '[':
        stack.push(
          stack.length === 0 || (stack.length === 1 && stack[0] === '{' && key === 'assets') ? 'target' : '[',
        );
        break;
      case '{':
        if (stack.at(-1) === 'target') lines.push(line);
        stack.push('{');
        break;
      case ']':
      case '}':
        stack.pop();
        break;
    }
  }
  return lines;
}

/** A JSON asset list: an array of objects, or `{ "assets": [...] }`; keys as in the CSV header or camelCase. */
export function parseAssetJson(text: string, file: string): AssetRecord[] {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch (cause) {
    throw pwError(
      'PW_ERR_PARSE',
      `${file}: not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}`,
      { file },
      cause,
    );
  }
  const list = Array.isArray(document)
    ? document
    : document !== null &&
        typeof document === 'object' &&
        Array.isArray((document as { assets?: unknown }).assets)
      ? (document as { assets: unknown[] }).assets
      : undefined;
  if (list === undefined) {
    throw pwError('PW_ERR_INVALID_RECORD', `${file}: expected an array of assets or {"assets": [...]}`, {
      file,
    });
  }
  const lines = elementLines(body);
  const linesKnown =
    lines.length ===
    list.filter((item) => item !== null && typeof item === 'object' && !Array.isArray(item)).length;
  return list.map((item, index) => {
    const record = `[${index}]`;
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      throw pwError('PW_ERR_INVALID_RECORD', `${file} ${record}: expected an object describing an asset`, {
        file,
        record,
      });
    }
    const asset: AssetRecord = { file, record, values: item as Record<string, unknown> };
    if (linesKnown) asset.line = lines[index]!;
    return asset;
  });
}

/** Chooses the reader by file name (`.json`) or content (a leading `[` or `{`). */
export function parseAssetList(text: string, file: string): AssetRecord[] {
  const head = text.replace(/^\uFEFF/, '').trimStart();
  return file.toLowerCase().endsWith('.json') || head.startsWith('[') || head.startsWith('{')
    ? parseAssetJson(text, file)
    : parseAssetCsv(text, file);
}
