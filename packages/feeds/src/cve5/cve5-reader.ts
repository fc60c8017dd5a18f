/**
 * CVE JSON 5.x (`dataType: CVE_RECORD`), one record per file: a single file or a cvelistV5 /
 * vulnrichment tree (`YYYY/NNxxx/CVE-YYYY-NNNN.json`). Files in the tree that are not CVE
 * records by name (cvelistV5's `delta.json`, `deltaLog.json`) are passed over.
 */
import { basename } from 'node:path';
import { asPatchwardenError } from '@patchwarden/core';
import type { FeedReader, FeedRecord, ReadOptions } from '../feed-record.ts';
import { errorMessage, issueRecord } from '../intel-common/feed-issue.ts';
import { asString, isAfterSince, isRecord, sinceInstant } from '../intel-common/intel-values.ts';
import { readWholeJson } from '../intel-common/json-items.ts';
import { listFiles } from '../intel-common/list-files.ts';
import { openInput, statInput } from '../intel-common/open-input.ts';
import { cveFromCve5 } from './cve5-record.ts';

/** The largest records in cvelistV5 (long affected lists) are a few MB. */
const MAX_RECORD_BYTES = 32 * 1024 * 1024;

const CVE_RECORD = /"dataType"\s*:\s*"CVE_RECORD"/;
const RECORD_FILE = /^CVE-\d{4}-\d+\.json(\.gz)?$/i;
const DIRECTORY_NAME = /cvelist|cve5|vulnrichment|^cves$/i;

function recordIdOf(raw: unknown): string | undefined {
  return isRecord(raw) && isRecord(raw.cveMetadata) ? asString(raw.cveMetadata.cveId) : undefined;
}

async function* readFile(
  file: string,
  options: ReadOptions,
  cut: number | undefined,
): AsyncGenerator<FeedRecord> {
  let raw: unknown;
  try {
    const { stream } = await openInput(file, options);
    raw = await readWholeJson(stream, MAX_RECORD_BYTES);
  } catch (error) {
    yield issueRecord(file, `cannot read CVE JSON 5 file: ${errorMessage(error)}`);
    return;
  }
  try {
    const cve = cveFromCve5(raw);
    if (isAfterSince(cve.modified, cut)) yield { kind: 'cve', cve };
  } catch (error) {
    const record = recordIdOf(raw);
    yield issueRecord(file, errorMessage(error), record === undefined ? {} : { record });
  }
}

async function* read(path: string, options: ReadOptions = {}): AsyncGenerator<FeedRecord> {
  const cut = sinceInstant(options.since);
  const stats = await statInput(path);
  if (!stats.isDirectory()) {
    yield* readFile(path, options, cut);
    return;
  }
  try {
    for await (const file of listFiles(path, (name) => RECORD_FILE.test(name))) {
      yield* readFile(file, options, cut);
    }
  } catch (error) {
    throw asPatchwardenError(error);
  }
}

export const cve5Reader: FeedReader = {
  feed: 'cve5',
  sniff(path: string, head: string): boolean {
    // Directories come with an empty head: only their name can tell.
    if (head === '') return DIRECTORY_NAME.test(basename(path));
    return CVE_RECORD.test(head);
  },
  read,
};
