/**
 * CISA Known Exploited Vulnerabilities, as JSON (`catalogVersion`, `vulnerabilities[]`) or as the
 * CSV with the same columns. Rows that fail validation become issues (with line numbers for CSV).
 */
import type { Readable } from 'node:stream';
import type { FeedReader, FeedRecord, ReadOptions } from '../feed-record.ts';
import { csvRows } from '../intel-common/csv-rows.ts';
import { csvErrorLine, errorMessage, issueRecord } from '../intel-common/feed-issue.ts';
import { asString, isRecord } from '../intel-common/intel-values.ts';
import { jsonArrayItems } from '../intel-common/json-items.ts';
import { openInput, readHead } from '../intel-common/open-input.ts';
import { kevEntryFrom } from './kev-entry.ts';

// The catalogue gives catalogVersion a string; its JSON Schema has a property of that name too.
const JSON_CATALOG = /^\uFEFF?\s*\{[\s\S]*?"catalogVersion"\s*:\s*"/;
const CSV_HEADER = /^\uFEFF?"?cveID"?,"?vendorProject"?,"?product"?/;

async function* fromJson(stream: Readable, file: string): AsyncGenerator<FeedRecord> {
  for await (const { index, value } of jsonArrayItems(stream, 'vulnerabilities')) {
    try {
      yield { kind: 'kev', entry: kevEntryFrom(value) };
    } catch (error) {
      const record = isRecord(value) ? asString(value.cveID) : undefined;
      yield issueRecord(file, `vulnerabilities[${index}]: ${errorMessage(error)}`, record ? { record } : {});
    }
  }
}

async function* fromCsv(stream: Readable, file: string): AsyncGenerator<FeedRecord> {
  for await (const row of csvRows(stream, file)) {
    if ('issue' in row) {
      yield row.issue;
      continue;
    }
    try {
      yield { kind: 'kev', entry: kevEntryFrom(row.record) };
    } catch (error) {
      yield issueRecord(file, errorMessage(error), {
        line: row.line,
        ...(row.record.cveID ? { record: row.record.cveID } : {}),
      });
    }
  }
}

async function* read(path: string, options: ReadOptions = {}): AsyncGenerator<FeedRecord> {
  const head = await readHead(path);
  const json = JSON_CATALOG.test(head);
  if (!json && !CSV_HEADER.test(head)) {
    yield issueRecord(
      path,
      'not a KEV catalogue (no catalogVersion, no cveID,vendorProject,product header); skipped',
      { line: 1 },
    );
    return;
  }
  const { stream } = await openInput(path, options);
  try {
    yield* json ? fromJson(stream, path) : fromCsv(stream, path);
  } catch (error) {
    stream.destroy();
    yield issueRecord(path, `cannot read KEV catalogue: ${errorMessage(error)}`, csvErrorLine(error));
  }
}

export const kevReader: FeedReader = {
  feed: 'kev',
  sniff(_path: string, head: string): boolean {
    return JSON_CATALOG.test(head) || CSV_HEADER.test(head);
  },
  read,
};
