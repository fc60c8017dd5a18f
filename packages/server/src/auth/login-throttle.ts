/**
 * Counts failed sign-ins per (username, client address) in a sliding window and says when to stop
 * checking passwords for that pair. Per pair, so that an attacker cannot lock a user out from
 * elsewhere; the global per-IP rate limit bounds guessing across usernames. The counters live in
 * this process: several servers each keep their own (a shared store is a later concern).
 */
export interface LoginThrottleOptions {
  /** Failures allowed per window before the pair is refused (default 5). */
  maxFailures?: number;
  /** Window length (default 15 minutes). */
  windowMs?: number;
  /** Pairs remembered at most; the oldest are forgotten first (default 10,000). */
  maxEntries?: number;
}

export class LoginThrottle {
  readonly #failures = new Map<string, number[]>();
  readonly #maxFailures: number;
  readonly #windowMs: number;
  readonly #maxEntries: number;

  constructor(options: LoginThrottleOptions = {}) {
    this.#maxFailures = options.maxFailures ?? 5;
    this.#windowMs = options.windowMs ?? 15 * 60_000;
    this.#maxEntries = options.maxEntries ?? 10_000;
  }

  static key(username: string, ip: string): string {
    return `${username.normalize('NFC').trim().toLowerCase()}\u0000${ip}`;
  }

  #recent(key: string, now: number): number[] {
    const kept = (this.#failures.get(key) ?? []).filter((at) => now - at < this.#windowMs);
    if (kept.length === 0) this.#failures.delete(key);
    else this.#failures.set(key, kept);
    return kept;
  }

  /** Seconds until the pair may try again, or 0 when it may try now. */
  retryAfterSeconds(key: string, now: number): number {
    const recent = this.#recent(key, now);
    if (recent.length < this.#maxFailures) return 0;
    const oldest = recent[recent.length - this.#maxFailures]!;
    return Math.max(1, Math.ceil((oldest + this.#windowMs - now) / 1000));
  }

  /** Records a failure; returns whether the pair is now refused. */
  fail(key: string, now: number): boolean {
    const recent = this.#recent(key, now);
    this.#failures.delete(key);
    this.#failures.set(key, [...recent, now].slice(-this.#maxFailures));
    while (this.#failures.size > this.#maxEntries) {
      const oldest = this.#failures.keys().next().value;
      if (oldest === undefined) break;
      this.#failures.delete(oldest);
    }
    return recent.length + 1 >= this.#maxFailures;
  }

  succeed(key: string): void {
    this.#failures.delete(key);
  }
}
