/**
 * When a failed download is worth another try, and how long to wait first. Pure: the caller
 * passes the clock value used to read an HTTP-date Retry-After.
 */

/** Overload and server faults pass; other 4xx mean the request itself is wrong. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 408 || (status >= 500 && status <= 599);
}

/** Retry-After as milliseconds from `now` (delta-seconds or HTTP-date), or undefined if absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: Date): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at) || !/[a-z]/i.test(text)) return undefined;
  return Math.max(0, at - now.getTime());
}

const MAX_BACKOFF_MS = 60_000;

/** Exponential backoff: base, 2 x base, 4 x base... after attempts 1, 2, 3..., capped at a minute. */
export function backoffDelay(attempt: number, baseMs: number): number {
  return Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.max(0, attempt - 1));
}

/**
 * The wait before the next attempt, or undefined when the server asked for a longer pause than
 * `maxRetryAfterMs`: hammering it sooner would be rude, and sleeping that long would stall the
 * other feeds, so the feed fails now and the next scheduled sync tries again.
 */
export function retryDelay(
  attempt: number,
  baseMs: number,
  retryAfterMs: number | undefined,
  maxRetryAfterMs: number,
): number | undefined {
  const backoff = backoffDelay(attempt, baseMs);
  if (retryAfterMs === undefined) return backoff;
  if (retryAfterMs > maxRetryAfterMs) return undefined;
  return Math.max(backoff, retryAfterMs);
}
