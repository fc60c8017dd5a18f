/**
 * One conditional GET of one feed. A 200 body is streamed to the `.partial` file (feeds run to
 * gigabytes, so it is never held in memory); the caller renames it into place. Failures come back
 * as `AttemptFailure`, saying whether another attempt could help.
 */
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { isRetryableStatus, parseRetryAfter } from './retry-policy.ts';

export interface Validators {
  etag?: string;
  lastModified?: string;
}

export interface AttemptRequest {
  url: string;
  partialPath: string;
  validators: Validators;
  fetch: typeof fetch;
  /** Abort when no headers or no body bytes arrive for this long. */
  idleTimeoutMs: number;
  now: () => Date;
  onBytes: (bytes: number, total: number | undefined) => void;
}

export type AttemptResult =
  | { kind: 'not-modified'; httpStatus: number; etag?: string; lastModified?: string }
  | { kind: 'downloaded'; httpStatus: number; bytes: number; etag?: string; lastModified?: string };

export class AttemptFailure extends Error {
  override readonly name = 'AttemptFailure';
  readonly retryable: boolean;
  readonly httpStatus: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(
    message: string,
    options: { retryable: boolean; httpStatus?: number; retryAfterMs?: number; cause?: unknown },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = options.retryable;
    this.httpStatus = options.httpStatus;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Local disk trouble: another attempt would fail the same way. */
const FILE_SYSTEM_CODES = new Set([
  'ENOSPC',
  'EDQUOT',
  'EACCES',
  'EPERM',
  'EROFS',
  'EISDIR',
  'ENOTDIR',
  'ENOENT',
]);

/** The message with its chain of causes, where undici hides the useful part ("fetch failed" <- ECONNRESET). */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    if (current instanceof Error) {
      const code = (current as NodeJS.ErrnoException).code;
      const text = code && !current.message.includes(code) ? `${current.message} (${code})` : current.message;
      if (text && !parts.includes(text)) parts.push(text);
      current = current.cause;
    } else {
      parts.push(String(current));
      break;
    }
  }
  return parts.join(': ') || 'unknown error';
}

function headerOrUndefined(headers: Headers, name: string): string | undefined {
  return headers.get(name) ?? undefined;
}

function validatorsOf(response: Response): Validators {
  const etag = headerOrUndefined(response.headers, 'etag');
  const lastModified = headerOrUndefined(response.headers, 'last-modified');
  return { ...(etag !== undefined ? { etag } : {}), ...(lastModified !== undefined ? { lastModified } : {}) };
}

/**
 * The body length to expect, or undefined. fetch undoes a Content-Encoding, after which
 * Content-Length counts the encoded bytes and cannot be checked against what is written.
 */
function expectedLength(response: Response): number | undefined {
  const encoding = response.headers.get('content-encoding');
  if (encoding !== null && encoding.trim().toLowerCase() !== 'identity') return undefined;
  const length = response.headers.get('content-length');
  return length !== null && /^\d+$/.test(length.trim()) ? Number(length) : undefined;
}

async function discardBody(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

function requestHeaders(validators: Validators): Record<string, string> {
  const headers: Record<string, string> = { 'user-agent': 'patchwarden-feed-sync' };
  if (validators.etag !== undefined) headers['if-none-match'] = validators.etag;
  if (validators.lastModified !== undefined) headers['if-modified-since'] = validators.lastModified;
  return headers;
}

export async function attemptDownload(request: AttemptRequest): Promise<AttemptResult> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), request.idleTimeoutMs);
  const timedOut = (httpStatus?: number) =>
    new AttemptFailure(`no data for ${request.idleTimeoutMs} ms (timed out)`, {
      retryable: true,
      ...(httpStatus !== undefined ? { httpStatus } : {}),
    });
  try {
    let response: Response;
    try {
      response = await request.fetch(request.url, {
        headers: requestHeaders(request.validators),
        signal: controller.signal,
        redirect: 'follow',
      });
    } catch (error) {
      if (controller.signal.aborted) throw timedOut();
      // ENOTFOUND is the resolver's answer that the name does not exist (or that no resolver is
      // reachable: an offline machine). Retrying it only delays the next feed; EAI_AGAIN, a
      // temporary DNS failure, is still retried.
      const code = (error as { cause?: { code?: unknown } }).cause?.code;
      throw new AttemptFailure(describeError(error), { retryable: code !== 'ENOTFOUND', cause: error });
    }
    timer.refresh();

    const conditional =
      request.validators.etag !== undefined || request.validators.lastModified !== undefined;
    if (response.status === 304) {
      await discardBody(response);
      if (!conditional) {
        throw new AttemptFailure('HTTP 304 to an unconditional request', {
          retryable: false,
          httpStatus: 304,
        });
      }
      return { kind: 'not-modified', httpStatus: 304, ...validatorsOf(response) };
    }
    if (response.status !== 200) {
      await discardBody(response);
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), request.now());
      throw new AttemptFailure(
        `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`,
        {
          retryable: isRetryableStatus(response.status),
          httpStatus: response.status,
          ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
        },
      );
    }
    if (!response.body)
      throw new AttemptFailure('HTTP 200 without a body', { retryable: true, httpStatus: 200 });

    const total = expectedLength(response);
    let bytes = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        timer.refresh();
        request.onBytes(bytes, total);
        callback(null, chunk);
      },
    });
    try {
      await pipeline(
        Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>),
        counter,
        // flush: the file must be on disk before it is renamed over the last good copy.
        createWriteStream(request.partialPath, { flush: true }),
      );
    } catch (error) {
      if (controller.signal.aborted) throw timedOut(200);
      const code = (error as NodeJS.ErrnoException).code;
      const local = code !== undefined && FILE_SYSTEM_CODES.has(code);
      throw new AttemptFailure(`${local ? 'writing' : 'reading'} the body failed: ${describeError(error)}`, {
        retryable: !local,
        httpStatus: 200,
        cause: error,
      });
    }
    if (total !== undefined && bytes !== total) {
      throw new AttemptFailure(`body has ${bytes} bytes, Content-Length said ${total}`, {
        retryable: true,
        httpStatus: 200,
      });
    }
    return { kind: 'downloaded', httpStatus: 200, bytes, ...validatorsOf(response) };
  } catch (error) {
    await rm(request.partialPath, { force: true });
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
