/**
 * The CWE catalogue: MITRE's XML (streamed with saxes) and CSV (`1000.csv`), plus the JSON shapes
 * in cwe-entries.ts. Only the XML and CSV carry the hierarchy (abstraction, ChildOf parents).
 */
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { asPatchwardenError } from '@patchwarden/core';
import type { FeedReader, FeedRecord, ReadOptions } from '../feed-record.ts';
import { zipEntries } from '../feed-input/zip-entries.ts';
import { csvRows } from '../intel-common/csv-rows.ts';
import { csvErrorLine, errorMessage, issueRecord } from '../intel-common/feed-issue.ts';
import { jsonArrayItems, readWholeJson } from '../intel-common/json-items.ts';
import { listFiles } from '../intel-common/list-files.ts';
import { openInput, readHead, statInput } from '../intel-common/open-input.ts';
import { cweFromCsvRow, cweFromJson } from './cwe-entries.ts';
import { cweXmlEntries } from './cwe-xml.ts';

const XML = /^\uFEFF?\s*(?:<\?xml[^>]*>\s*)?(?:<!--[\s\S]*?-->\s*)*<Weakness_Catalog[\s>]/;
const CSV = /^\uFEFF?"?CWE-ID"?,"?Name"?,/;
const APTRS = /^\uFEFF?\s*\[\s*\{\s*"name"\s*:\s*"CWE-\d+:/;
const DOJO = /^\uFEFF?\s*\[\s*\{\s*"model"\s*:\s*"dojo\.cwe"/;
const VULN_LIST = /^\uFEFF?\s*\{\s*"ID"\s*:\s*\d+\s*,\s*"Name"\s*:/;
const DIRECTORY_NAME = /cwe/i;
const MAX_OBJECT_BYTES = 16 * 1024 * 1024;

type Format = 'xml' | 'csv' | 'json-array' | 'json-object';

function formatOf(head: string): Format | undefined {
  if (XML.test(head)) return 'xml';
  if (CSV.test(head)) return 'csv';
  if (APTRS.test(head) || DOJO.test(head)) return 'json-array';
  if (VULN_LIST.test(head)) return 'json-object';
  return undefined;
}

async function* fromXml(stream: Readable, file: string): AsyncGenerator<FeedRecord> {
  for await (const item of cweXmlEntries(stream, file)) {
    if ('entry' in item) yield { kind: 'cwe', entry: item.entry };
    else
      yield issueRecord(
        file,
        item.error,
        item.record ? { line: item.line, record: item.record } : { line: item.line },
      );
  }
}

async function* fromCsv(stream: Readable, file: string): AsyncGenerator<FeedRecord> {
  for await (const row of csvRows(stream, file)) {
    if ('issue' in row) {
      yield row.issue;
      continue;
    }
    try {
      yield { kind: 'cwe', entry: cweFromCsvRow(row.record) };
    } catch (error) {
      yield issueRecord(file, errorMessage(error), { line: row.line });
    }
  }
}

async function* fromJsonArray(stream: Readable, file: string): AsyncGenerator<FeedRecord> {
  for await (const { index, value } of jsonArrayItems(stream)) {
    try {
      yield { kind: 'cwe', entry: cweFromJson(value) };
    } catch (error) {
      yield issueRecord(file, `[${index}]: ${errorMessage(error)}`);
    }
  }
}

async function* fromJsonObject(stream: Readable, file: string): AsyncGenerator<FeedRecord> {
  const value = await readWholeJson(stream, MAX_OBJECT_BYTES);
  try {
    yield { kind: 'cwe', entry: cweFromJson(value) };
  } catch (error) {
    yield issueRecord(file, errorMessage(error));
  }
}

const READERS: Record<Format, (stream: Readable, file: string) => AsyncGenerator<FeedRecord>> = {
  xml: fromXml,
  csv: fromCsv,
  'json-array': fromJsonArray,
  'json-object': fromJsonObject,
};

const ZIP = /\.zip$/i;

/** MITRE publishes the catalogue as `cwec_latest.xml.zip` (and `1000.csv.zip`): read its entry. */
async function* readZip(file: string): AsyncGenerator<FeedRecord> {
  for await (const entry of zipEntries(file, { accept: (name) => /\.(xml|csv)$/i.test(name) })) {
    if (!entry.content) {
      yield issueRecord(file, `${entry.name}: ${entry.error ?? 'entry too large'}; skipped`);
      continue;
    }
    const format = formatOf(entry.content.subarray(0, 64 * 1024).toString('utf8'));
    if (format === undefined) {
      yield issueRecord(file, `${entry.name}: not a CWE catalogue; skipped`);
      continue;
    }
    yield* READERS[format](Readable.from([entry.content]), `${file}!${entry.name}`);
  }
}

async function* readFile(file: string, options: ReadOptions): AsyncGenerator<FeedRecord> {
  if (ZIP.test(file)) {
    yield* readZip(file);
    return;
  }
  let stream: Readable | undefined;
  try {
    const format = formatOf(await readHead(file));
    if (format === undefined) {
      yield issueRecord(file, 'not a CWE catalogue (MITRE XML or CSV, or a known CWE JSON shape); skipped');
      return;
    }
    stream = (await openInput(file, options)).stream;
    yield* READERS[format](stream, file);
  } catch (error) {
    stream?.destroy();
    const line = csvErrorLine(error);
    yield issueRecord(file, `cannot read CWE catalogue: ${errorMessage(error)}`, line);
  }
}

async function* read(path: string, options: ReadOptions = {}): AsyncGenerator<FeedRecord> {
  const stats = await statInput(path);
  if (!stats.isDirectory()) {
    yield* readFile(path, options);
    return;
  }
  try {
    for await (const file of listFiles(path, (name) => /\.(json|xml|csv)(\.gz)?$|\.zip$/i.test(name))) {
      yield* readFile(file, options);
    }
  } catch (error) {
    throw asPatchwardenError(error);
  }
}

export const cweReader: FeedReader = {
  feed: 'cwe',
  sniff(path: string, head: string): boolean {
    // Directories come with an empty head: only their name can tell.
    if (head === '' || ZIP.test(path)) return DIRECTORY_NAME.test(basename(path));
    return formatOf(head) !== undefined;
  },
  read,
};
