export interface BackoffPolicy {
  /** Delay after the first failure. */
  baseMs: number;
  /** No wait is ever longer, whatever the number of failures or the server's Retry-After. */
  capMs: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffPolicy> = Object.freeze({ baseMs: 5_000, capMs: 15 * 60_000 });

/**
 * Exponential backoff with "equal jitter": after `failures` consecutive failures wait between
 * half and all of `base * 2^(failures-1)` (capped), so a fleet that lost its server at the same
 * moment does not come back at the same moment. A server's Retry-After is a floor.
 */
export function backoffDelayMs(
  failures: number,
  policy: BackoffPolicy,
  random: () => number,
  retryAfterMs?: number,
): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** exponent);
  const delay = ceiling / 2 + random() * (ceiling / 2);
  return Math.round(Math.min(policy.capMs, Math.max(delay, retryAfterMs ?? 0)));
}

/** The check-in interval with ±10 % jitter, so hosts started together spread out over time. */
export function jitteredIntervalMs(intervalSeconds: number, random: () => number): number {
  return Math.round(intervalSeconds * 1000 * (0.9 + 0.2 * random()));
}
