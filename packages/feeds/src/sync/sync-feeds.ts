/**
 * The optional online path: refreshes a local mirror directory from the configured feed URLs,
 * which the importers then read as they read any offline files. Each feed is fetched with a
 * conditional GET, written beside its last good copy and renamed over it only when complete, so a
 * failed or cut-off download never damages what the mirror already holds.
 */
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AttemptResult, Validators } from './download-attempt.ts';
import { AttemptFailure, attemptDownload, describeError } from './download-attempt.ts';
import type { FeedSource } from './feed-sources.ts';
import { assertFeedSources } from './feed-sources.ts';
import type { MirrorMetadata } from './mirror-metadata.ts';
import { partialFileName, readMirrorMetadata, writeMirrorMetadata } from './mirror-metadata.ts';
import { retryDelay } from './retry-policy.ts';

export interface FeedFetchStatus {
  name: string;
  url: string;
  file: string;
  ok: boolean;
  status: 'downloaded' | 'not-modified' | 'failed';
  /** The last HTTP status seen, if any response came. */
  httpStatus?: number;
  /** Size of the mirrored file (the previous copy's size when failed). */
  bytes?: number;
  etag?: string;
  lastModified?: string;
  /** When this sync of the feed finished (ISO 8601). */
  fetchedAt: string;
  /** When the mirrored copy was last confirmed current by the server (ISO 8601). */
  lastGoodAt?: string;
  error?: string;
  attempts: number;
}

export interface SyncFeedsOptions {
  fetch?: typeof fetch;
  /** Further attempts after the first, for network errors, timeouts, 5xx, 408 and 429. Default 3. */
  retries?: number;
  /** First wait between attempts, doubled each time. Default 1000 ms. */
  backoffMs?: number;
  /** Give up an attempt when no headers or body bytes arrive for this long. Default 60 s. */
  timeoutMs?: number;
  /** A Retry-After longer than this fails the feed instead of waiting. Default 60 s. */
  maxRetryAfterMs?: number;
  onProgress?: (name: string, bytes: number, total?: number) => void;
  now?: () => Date;
}

/** Progress is reported at most once per this many bytes, plus at the start and the end. */
const PROGRESS_STEP = 1 << 20;

interface Settings {
  fetch: typeof fetch;
  retries: number;
  backoffMs: number;
  timeoutMs: number;
  maxRetryAfterMs: number;
  onProgress: (name: string, bytes: number, total?: number) => void;
  now: () => Date;
}

function settingsOf(options: SyncFeedsOptions): Settings {
  const count = (value: number | undefined, fallback: number, field: string): number => {
    const chosen = value ?? fallback;
    if (!Number.isFinite(chosen) || chosen < 0) throw new RangeError(`syncFeeds: ${field} must be >= 0`);
    return chosen;
  };
  return {
    fetch: options.fetch ?? globalThis.fetch,
    retries: Math.floor(count(options.retries, 3, 'retries')),
    backoffMs: count(options.backoffMs, 1000, 'backoffMs'),
    timeoutMs: Math.max(1, count(options.timeoutMs, 60_000, 'timeoutMs')),
    maxRetryAfterMs: count(options.maxRetryAfterMs, 60_000, 'maxRetryAfterMs'),
    onProgress: options.onProgress ?? (() => undefined),
    now: options.now ?? (() => new Date()),
  };
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? info.size : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The validators to send, only when the file on disk is the one the metadata describes: a copy
 * deleted, replaced or truncated by hand, or a feed moved to another URL, is fetched in full.
 */
function validatorsFor(
  source: FeedSource,
  metadata: MirrorMetadata | undefined,
  size: number | undefined,
): Validators {
  if (!metadata || size === undefined || metadata.bytes !== size || metadata.url !== source.url) return {};
  return {
    ...(metadata.etag !== undefined ? { etag: metadata.etag } : {}),
    ...(metadata.lastModified !== undefined ? { lastModified: metadata.lastModified } : {}),
  };
}

function progressReporter(name: string, onProgress: Settings['onProgress']) {
  let reported = 0;
  return {
    start: () => onProgress(name, 0),
    bytes: (bytes: number, total: number | undefined) => {
      // A retry starts again from zero.
      if (bytes < reported) reported = 0;
      if (bytes - reported < PROGRESS_STEP) return;
      reported = bytes;
      onProgress(name, bytes, total);
    },
    end: (bytes: number, total: number | undefined) => {
      if (bytes !== reported) onProgress(name, bytes, total);
    },
  };
}

async function syncOne(source: FeedSource, mirrorDir: string, settings: Settings): Promise<FeedFetchStatus> {
  const target = join(mirrorDir, source.file);
  const partialPath = join(mirrorDir, partialFileName(source.file));
  const metaRead = await readMirrorMetadata(mirrorDir, source.file);
  const previous =
    metaRead.state === 'ok' && metaRead.metadata.file === source.file ? metaRead.metadata : undefined;
  const previousSize = await sizeOf(target);
  const validators = validatorsFor(source, previous, previousSize);
  const progress = progressReporter(source.name, settings.onProgress);
  progress.start();

  let attempts = 0;
  let lastTotal: number | undefined;
  let httpStatus: number | undefined;
  let result: AttemptResult | undefined;
  let error: string | undefined;
  while (result === undefined) {
    attempts++;
    try {
      result = await attemptDownload({
        url: source.url,
        partialPath,
        validators,
        fetch: settings.fetch,
        idleTimeoutMs: settings.timeoutMs,
        now: settings.now,
        onBytes: (bytes, total) => {
          lastTotal = total;
          progress.bytes(bytes, total);
        },
      });
      httpStatus = result.httpStatus;
    } catch (thrown) {
      const failure =
        thrown instanceof AttemptFailure
          ? thrown
          : new AttemptFailure(describeError(thrown), { retryable: false });
      httpStatus = failure.httpStatus ?? httpStatus;
      error = failure.message;
      const delay =
        failure.retryable && attempts <= settings.retries
          ? retryDelay(attempts, settings.backoffMs, failure.retryAfterMs, settings.maxRetryAfterMs)
          : undefined;
      if (delay === undefined) {
        if (failure.retryAfterMs !== undefined && failure.retryAfterMs > settings.maxRetryAfterMs) {
          error += ` (server asked to retry after ${Math.ceil(failure.retryAfterMs / 1000)} s)`;
        }
        break;
      }
      await sleep(delay);
    }
  }

  const base = { name: source.name, url: source.url, file: source.file, attempts };
  if (result === undefined) {
    await rm(partialPath, { force: true });
    return {
      ...base,
      ok: false,
      status: 'failed',
      ...(httpStatus !== undefined ? { httpStatus } : {}),
      ...(previous && previousSize !== undefined ? { bytes: previousSize } : {}),
      fetchedAt: settings.now().toISOString(),
      ...(previous ? { lastGoodAt: previous.checkedAt } : {}),
      error: `${source.url}: ${error ?? 'failed'}`,
    };
  }

  try {
    let metadata: MirrorMetadata;
    const fetchedAt = settings.now().toISOString();
    if (result.kind === 'not-modified') {
      // validatorsFor only sends validators with a matching previous copy, so both exist here.
      const kept = previous as MirrorMetadata;
      metadata = {
        ...kept,
        ...(result.etag !== undefined ? { etag: result.etag } : {}),
        ...(result.lastModified !== undefined ? { lastModified: result.lastModified } : {}),
        checkedAt: fetchedAt,
      };
    } else {
      await rename(partialPath, target);
      progress.end(result.bytes, lastTotal);
      metadata = {
        name: source.name,
        url: source.url,
        file: source.file,
        bytes: result.bytes,
        ...(result.etag !== undefined ? { etag: result.etag } : {}),
        ...(result.lastModified !== undefined ? { lastModified: result.lastModified } : {}),
        downloadedAt: fetchedAt,
        checkedAt: fetchedAt,
      };
    }
    await writeMirrorMetadata(mirrorDir, metadata);
    return {
      ...base,
      ok: true,
      status: result.kind === 'not-modified' ? 'not-modified' : 'downloaded',
      httpStatus: result.httpStatus,
      bytes: metadata.bytes,
      ...(metadata.etag !== undefined ? { etag: metadata.etag } : {}),
      ...(metadata.lastModified !== undefined ? { lastModified: metadata.lastModified } : {}),
      fetchedAt,
      lastGoodAt: fetchedAt,
    };
  } catch (thrown) {
    await rm(partialPath, { force: true });
    return {
      ...base,
      ok: false,
      status: 'failed',
      httpStatus: result.httpStatus,
      fetchedAt: settings.now().toISOString(),
      ...(previous ? { lastGoodAt: previous.checkedAt } : {}),
      error: `${source.url}: storing the download failed: ${describeError(thrown)}`,
    };
  }
}

/**
 * Brings every source's mirror file up to date, one source after another (politeness to the
 * publishers), and reports each. A source that fails keeps its last good file and never stops the
 * others; only bad arguments (malformed or clashing sources, an unusable mirror directory) throw.
 */
export async function syncFeeds(
  sources: FeedSource[],
  mirrorDir: string,
  options: SyncFeedsOptions = {},
): Promise<FeedFetchStatus[]> {
  assertFeedSources(sources, 'feed sources');
  const settings = settingsOf(options);
  await mkdir(mirrorDir, { recursive: true });
  const statuses: FeedFetchStatus[] = [];
  for (const source of sources) statuses.push(await syncOne(source, mirrorDir, settings));
  return statuses;
}
