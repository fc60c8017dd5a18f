/**
 * NVD CVE API 2.0: a page response (`format: NVD_CVE`, `vulnerabilities: [{cve}]`), a file holding
 * one `cve` object (bare or as `{cve: {...}}`), or a directory tree of either. Pages are streamed
 * record by record; single-record files are small and parsed whole.
 */
import { basename } from 'node:path';
import { asPatchwardenError } from '@patchwarden/core';
import type { FeedReader, FeedRecord, ReadOptions } from '../feed-record.ts';
import { errorMessage, issueRecord } from '../intel-common/feed-issue.ts';
import { asString, isAfterSince, isRecord, sinceInstant } from '../intel-common/intel-values.ts';
import { jsonArrayItems, readWholeJson } from '../intel-common/json-items.ts';
import { listFiles } from '../intel-common/list-files.ts';
import { openInput, readHead, statInput } from '../intel-common/open-input.ts';
import { cveFromNvd } from './nvd-cve.ts';

/** A single CVE, even CVE-2024-0158's 227 KB configuration tree, is far below this. */
const MAX_SINGLE_RECORD_BYTES = 32 * 1024 * 1024;

const PAGE = /"format"\s*:\s*"NVD_CVE"/;
const PAGE_ARRAY = /"vulnerabilities"\s*:\s*\[/;
const WRAPPED_CVE = /^\uFEFF?\s*\{\s*"cve"\s*:\s*\{/;
// A bare cve object: OSV records never carry `vulnStatus` or `sourceIdentifier`.
const BARE_CVE = /"vulnStatus"\s*:\s*"/;
const BARE_CVE_ID = /^\uFEFF?\s*\{[\s\S]*?"id"\s*:\s*"CVE-\d{4}-\d+"/;
const DIRECTORY_NAME = /nvd/i;

function looksLikeNvd(head: string): boolean {
  return PAGE.test(head) || WRAPPED_CVE.test(head) || (BARE_CVE.test(head) && BARE_CVE_ID.test(head));
}

async function* recordsOf(
  entries: AsyncIterable<{ value: unknown; where: string }>,
  file: string,
  cut: number | undefined,
) {
  for await (const { value, where } of entries) {
    const raw = isRecord(value) && isRecord(value.cve) ? value.cve : value;
    try {
      const cve = cveFromNvd(raw);
      if (isAfterSince(cve.modified, cut)) yield { kind: 'cve', cve } satisfies FeedRecord;
    } catch (error) {
      const record = isRecord(raw) ? asString(raw.id) : undefined;
      yield issueRecord(file, `${where}: ${errorMessage(error)}`, record === undefined ? {} : { record });
    }
  }
}

async function* pageEntries(file: string, options: ReadOptions) {
  const { stream } = await openInput(file, options);
  for await (const { index, value } of jsonArrayItems(stream, 'vulnerabilities')) {
    yield { value, where: `vulnerabilities[${index}]` };
  }
}

async function* singleEntry(file: string, options: ReadOptions) {
  const { stream } = await openInput(file, options);
  yield { value: await readWholeJson(stream, MAX_SINGLE_RECORD_BYTES), where: 'record' };
}

async function* readFile(
  file: string,
  options: ReadOptions,
  cut: number | undefined,
): AsyncGenerator<FeedRecord> {
  try {
    const head = await readHead(file);
    if (!looksLikeNvd(head)) {
      yield issueRecord(
        file,
        'not an NVD CVE API 2.0 file (no NVD_CVE page, cve object or vulnStatus); skipped',
      );
      return;
    }
    const paged = PAGE.test(head) || PAGE_ARRAY.test(head);
    yield* recordsOf(paged ? pageEntries(file, options) : singleEntry(file, options), file, cut);
  } catch (error) {
    yield issueRecord(file, `cannot read NVD file: ${errorMessage(error)}`);
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
    for await (const file of listFiles(path, (name) => /\.json(\.gz)?$/i.test(name))) {
      yield* readFile(file, options, cut);
    }
  } catch (error) {
    throw asPatchwardenError(error);
  }
}

export const nvdReader: FeedReader = {
  feed: 'nvd',
  sniff(path: string, head: string): boolean {
    // Directories come with an empty head: only their name can tell.
    if (head === '') return DIRECTORY_NAME.test(basename(path));
    return looksLikeNvd(head);
  },
  read,
};
