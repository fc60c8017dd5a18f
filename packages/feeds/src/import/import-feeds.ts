import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { asPatchwardenError, pwError } from '@patchwarden/core';
import { detectFeed } from '../detect-feed.ts';
import type { FeedKind, FeedReader, FeedRecord } from '../feed-record.ts';
import { ALL_READERS } from '../readers.ts';
import { isMirrorBookkeepingFile } from '../sync/mirror-metadata.ts';
import type { FeedSyncStatus } from '../store/intel-store.ts';
import { MAX_KEPT_ISSUES } from '../store/intel-store.ts';

export interface ImportProgress {
  file: string;
  feed: string;
  records: number;
  bytesRead: number;
  totalBytes: number | undefined;
}

export interface ImportOptions {
  readers?: readonly FeedReader[];
  /** Import only records modified after the last successful import of the same file. */
  incremental?: boolean;
  onProgress?: (progress: ImportProgress) => void;
  /** Files that no reader recognised (reported, never silently skipped). */
  onUnrecognised?: (file: string) => void;
}

async function* walk(path: string): AsyncGenerator<string> {
  const info = await stat(path).catch((cause: unknown) => {
    throw pwError('PW_ERR_FILE_NOT_FOUND', `Feed path not found: ${path}`, { file: path }, cause);
  });
  if (!info.isDirectory()) {
    yield path;
    return;
  }
  const entries = await readdir(path, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    // Mirror bookkeeping (`.meta.json`, an interrupted `.partial`) and docs are not feeds.
    if (entry.name.startsWith('.') || /^(README|LICENSE|NOTICE)/i.test(entry.name)) continue;
    if (isMirrorBookkeepingFile(entry.name)) continue;
    yield* walk(join(path, entry.name));
  }
}

function modifiedOf(record: FeedRecord): string | undefined {
  if (record.kind === 'advisory') return record.advisory.modified;
  if (record.kind === 'cve') return record.cve.modified;
  return undefined;
}

export type IntelRecord = Exclude<FeedRecord, { kind: 'issue' }>;

export interface WriteCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

/**
 * Where imported records go: the in-memory IntelStore for an offline scan, or the database. Each
 * `write` is atomic: a batch is stored whole or not at all.
 */
export interface IntelSink {
  write(records: readonly IntelRecord[]): Promise<WriteCounts>;
  /** Newest `modified` of the last successful import of this file, for incremental imports. */
  lastSync(feed: FeedKind, path: string): Promise<string | undefined>;
  recordStatus(status: FeedSyncStatus): Promise<void>;
}

const BATCH = 500;

/** Imports one file with a known reader into the sink, recording its sync status. */
export async function importFile(
  sink: IntelSink,
  reader: FeedReader,
  file: string,
  options: ImportOptions = {},
): Promise<FeedSyncStatus> {
  const status: FeedSyncStatus = {
    feed: reader.feed,
    path: file,
    startedAt: new Date().toISOString(),
    ok: false,
    records: 0,
    inserted: 0,
    updated: 0,
    unchanged: 0,
    skipped: 0,
    issues: [],
  };
  let bytesRead = 0;
  let totalBytes: number | undefined;
  let batch: IntelRecord[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const counts = await sink.write(batch);
    batch = [];
    status.inserted += counts.inserted;
    status.updated += counts.updated;
    status.unchanged += counts.unchanged;
  };
  try {
    const last = options.incremental ? await sink.lastSync(reader.feed, file) : undefined;
    // A feed without modification times (Go's zero time) cannot be read incrementally.
    const since = last !== undefined && last >= '0002' ? last : undefined;
    for await (const record of reader.read(file, {
      ...(since !== undefined ? { since } : {}),
      onProgress: (read, total) => {
        bytesRead = read;
        totalBytes = total;
      },
    })) {
      if (record.kind === 'issue') {
        status.skipped++;
        if (status.issues.length < MAX_KEPT_ISSUES) status.issues.push(record.issue);
        continue;
      }
      status.records++;
      batch.push(record);
      if (batch.length >= BATCH) await flush();
      const modified = modifiedOf(record);
      if (
        modified !== undefined &&
        (status.newestModified === undefined || modified > status.newestModified)
      ) {
        status.newestModified = modified;
      }
      if (options.onProgress && status.records % 2000 === 0) {
        options.onProgress({ file, feed: reader.feed, records: status.records, bytesRead, totalBytes });
      }
    }
    await flush();
    status.ok = true;
  } catch (thrown) {
    const error = asPatchwardenError(thrown);
    status.error = error.location() ? `${error.message} (${error.location()})` : error.message;
  }
  status.finishedAt = new Date().toISOString();
  options.onProgress?.({ file, feed: reader.feed, records: status.records, bytesRead, totalBytes });
  await sink.recordStatus(status);
  return status;
}

/**
 * Imports every feed file under the given files and directories, each file's format detected
 * from its content. A file that fails is recorded as failed; the others still import.
 */
export async function importFeeds(
  sink: IntelSink,
  paths: readonly string[],
  options: ImportOptions = {},
): Promise<FeedSyncStatus[]> {
  const readers = options.readers ?? ALL_READERS;
  const statuses: FeedSyncStatus[] = [];
  for (const root of paths) {
    for await (const file of walk(root)) {
      const reader = await detectFeed(file, [...readers]);
      if (!reader) {
        options.onUnrecognised?.(file);
        continue;
      }
      statuses.push(await importFile(sink, reader, file, options));
    }
  }
  return statuses;
}
