import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PatchwardenError } from '@patchwarden/core';
import { importFeeds, readMirrorStatus, syncFeeds } from '@patchwarden/feeds';
import type { FeedFetchStatus, FeedSource, FeedSyncStatus, SyncFeedsOptions } from '@patchwarden/feeds';
import { IntelRepository } from '@patchwarden/store';
import type { Database, Job, JsonValue } from '@patchwarden/store';
import { sql } from 'kysely';
import { ChangeTrackingSink } from './change-tracking-sink.ts';
import type { JobContext, JobHandler } from './job-worker.ts';
import { JobFailure } from './job-worker.ts';
import { refreshFindings } from './refresh-findings.ts';
import type { FindingsRefresh } from './refresh-findings.ts';

export const FEEDS_SYNC = 'feeds.sync';
export const FEEDS_IMPORT = 'feeds.import';

export interface FeedJobOptions {
  database: Database;
  /** The feeds `feeds.sync` downloads (DEFAULT_FEED_SOURCES in production). */
  sources: readonly FeedSource[];
  /** Where `feeds.sync` keeps its copies (the last good copy of each feed stays there). */
  mirrorDir: string;
  /** Retries, timeouts and backoff of the downloads (the sync's own defaults otherwise). */
  download?: Pick<SyncFeedsOptions, 'retries' | 'backoffMs' | 'timeoutMs' | 'maxRetryAfterMs'>;
  now?: () => Date;
}

interface ImportSummary {
  feed: string;
  path: string;
  ok: boolean;
  records: number;
  inserted: number;
  updated: number;
  unchanged: number;
  skipped: number;
  error?: string;
}

function importSummary(status: FeedSyncStatus): ImportSummary {
  return {
    feed: status.feed,
    path: status.path,
    ok: status.ok,
    records: status.records,
    inserted: status.inserted,
    updated: status.updated,
    unchanged: status.unchanged,
    skipped: status.skipped,
    ...(status.error === undefined ? {} : { error: status.error }),
  };
}

function downloadSummary(status: FeedFetchStatus): Record<string, JsonValue> {
  return {
    name: status.name,
    url: status.url,
    status: status.status,
    ok: status.ok,
    attempts: status.attempts,
    ...(status.httpStatus === undefined ? {} : { httpStatus: status.httpStatus }),
    ...(status.bytes === undefined ? {} : { bytes: status.bytes }),
    ...(status.lastGoodAt === undefined ? {} : { lastGoodAt: status.lastGoodAt }),
    ...(status.error === undefined ? {} : { error: status.error }),
  };
}

/** Imports `paths` and refreshes the findings the import can change. */
async function importAndRefresh(
  database: Database,
  paths: readonly string[],
  context: JobContext,
  now: () => Date,
): Promise<{ imports: ImportSummary[]; findings: FindingsRefresh }> {
  const sink = new ChangeTrackingSink(new IntelRepository(database), context.signal);
  const statuses = paths.length === 0 ? [] : await importFeeds(sink, paths, { incremental: true });
  // A stop between files leaves the rest for the next attempt (incremental: nothing is lost).
  context.signal.throwIfAborted();
  const findings = await refreshFindings(database, sink.changes, now().toISOString(), context.signal);
  return { imports: statuses.map(importSummary), findings };
}

function pathsOf(job: Job): string[] {
  const payload = job.payload as { paths?: unknown } | null;
  const paths = payload?.paths;
  if (!Array.isArray(paths) || paths.length === 0 || !paths.every((p) => typeof p === 'string' && p !== '')) {
    throw new JobFailure('payload.paths must be a non-empty list of files or directories', { retry: false });
  }
  return paths as string[];
}

/** `feeds.import`: the offline path. Imports files or directories, then refreshes findings. */
export function feedsImportHandler(options: Pick<FeedJobOptions, 'database' | 'now'>): JobHandler {
  const now = options.now ?? (() => new Date());
  return async (job, context) => {
    const paths = pathsOf(job);
    try {
      const { imports, findings } = await importAndRefresh(options.database, paths, context, now);
      const failed = imports.filter((i) => !i.ok);
      const result = { imports, findings } as unknown as JsonValue;
      if (imports.length > 0 && failed.length === imports.length) {
        throw new JobFailure(
          `every feed file failed to import (first: ${failed[0]!.path}: ${failed[0]!.error})`,
          {
            retry: false,
            result,
          },
        );
      }
      return result;
    } catch (error) {
      // A path that is not there will not appear on a retry.
      if (error instanceof PatchwardenError && error.code === 'PW_ERR_FILE_NOT_FOUND') {
        throw new JobFailure(error.message, { retry: false, cause: error });
      }
      throw error;
    }
  };
}

/**
 * `work`, or the signal's reason as soon as it aborts: a download waiting between retries cannot
 * be interrupted, and a stopping server should not wait for it. What it leaves behind is a
 * `.partial` file the next sync replaces; the mirror's good copy is only ever renamed over.
 */
function untilAborted<T>(signal: AbortSignal, work: Promise<T>): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** When `path` was last imported successfully, according to the store's sync history. */
async function lastImportedAt(database: Database, path: string): Promise<number | undefined> {
  const { rows } = await sql<{ at: Date | null }>`
    select max(finished_at) as at from feed_sync where source = ${path} and ok`.execute(database.db);
  return rows[0]?.at ? rows[0].at.getTime() : undefined;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    (info) => info.isFile(),
    () => false,
  );
}

/**
 * The mirror files to import: those downloaded now, and those whose download was never imported
 * (a sync cut off between download and import). A copy already imported is not read again.
 */
async function filesToImport(
  database: Database,
  mirrorDir: string,
  sources: readonly FeedSource[],
  downloads: readonly FeedFetchStatus[],
): Promise<string[]> {
  const downloadedAt = new Map(
    (await readMirrorStatus(mirrorDir, [...sources])).map((entry) => [entry.file, entry.downloadedAt]),
  );
  const files: string[] = [];
  for (const source of sources) {
    const path = join(mirrorDir, source.file);
    if (!(await exists(path))) continue;
    const fresh = downloads.some((d) => d.file === source.file && d.status === 'downloaded');
    const downloaded = downloadedAt.get(source.file);
    const imported = await lastImportedAt(database, path);
    const pending = downloaded !== undefined && (imported === undefined || imported < Date.parse(downloaded));
    if (fresh || pending) files.push(path);
  }
  return files;
}

/**
 * `feeds.sync`: the online path. Downloads each feed into the mirror (a feed that fails keeps its
 * last good copy and is recorded as failed in the feed sync history), imports what changed, then
 * refreshes findings. The job fails only when every feed failed to download; its result then
 * still says what each one did.
 */
export function feedsSyncHandler(options: FeedJobOptions): JobHandler {
  const now = options.now ?? (() => new Date());
  return async (_job, context) => {
    const intel = new IntelRepository(options.database);
    const downloads: FeedFetchStatus[] = [];
    // One feed at a time (as syncFeeds does), so a stop is honoured between feeds.
    for (const source of options.sources) {
      context.signal.throwIfAborted();
      const startedAt = now().toISOString();
      const [status] = await untilAborted(
        context.signal,
        syncFeeds([source], options.mirrorDir, {
          ...options.download,
          now,
          fetch: (input, init) =>
            fetch(input, {
              ...init,
              signal: init?.signal ? AbortSignal.any([init.signal, context.signal]) : context.signal,
            }),
        }),
      );
      downloads.push(status!);
      if (!status!.ok) {
        await intel.recordSync({
          feed: source.name,
          source: source.url,
          startedAt,
          finishedAt: status!.fetchedAt,
          ok: false,
          records: 0,
          inserted: 0,
          updated: 0,
          unchanged: 0,
          skipped: 0,
          error: status!.error ?? 'download failed',
          issues: [],
        });
      }
    }
    context.signal.throwIfAborted();
    const files = await filesToImport(options.database, options.mirrorDir, options.sources, downloads);
    const { imports, findings } = await importAndRefresh(options.database, files, context, now);
    const failed = downloads.filter((d) => !d.ok);
    const result = {
      feeds: downloads.map(downloadSummary),
      failedFeeds: failed.length,
      imports,
      findings,
    } as unknown as JsonValue;
    if (downloads.length > 0 && failed.length === downloads.length) {
      // The next scheduled run is the retry: retrying now would meet the same outage.
      throw new JobFailure(`every feed failed to download (first: ${failed[0]!.error})`, {
        retry: false,
        result,
      });
    }
    return result;
  };
}
