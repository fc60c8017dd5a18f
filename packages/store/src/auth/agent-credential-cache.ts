/**
 * Verified agent credentials, kept for a few seconds so that a heartbeat does not cost a database
 * round trip. Keyed by the credential's SHA-256 (the raw secret is never kept).
 *
 * Revocation: `revoke(agentId)` drops the agent's entries at once, and a lookup that was in flight
 * while it ran cannot put a stale entry back (the generation check in `store`). A revocation by
 * another process on the same database is seen within `ttlMs` (default 5 s): no entry is trusted
 * longer than that without reading the `agents` row again.
 *
 * One cache per Database object (`agentCredentialCacheOf`), so that every AuthRepository of a
 * process sees a revocation made through any of them.
 */

export const AGENT_CREDENTIAL_TTL_MS = 5_000;
const MAX_ENTRIES = 100_000;

export interface CachedAgent {
  agentId: string;
  assetId: string;
  /** `agents.last_seen_at` as last written or read (ms since the epoch), for the touch interval. */
  lastSeenAt: number | undefined;
}

interface Entry extends CachedAgent {
  expiresAt: number;
}

export class AgentCredentialCache {
  readonly #entries = new Map<string, Entry>();
  readonly #ttlMs: number;
  readonly #now: () => number;
  #generation = 0;

  constructor(options: { ttlMs?: number; now?: () => number } = {}) {
    this.#ttlMs = options.ttlMs ?? AGENT_CREDENTIAL_TTL_MS;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Taken before reading the database; `store` refuses to keep what was read across a revocation. */
  generation(): number {
    return this.#generation;
  }

  get(credentialHash: string): CachedAgent | undefined {
    const entry = this.#entries.get(credentialHash);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(credentialHash);
      return undefined;
    }
    return entry;
  }

  store(credentialHash: string, agent: CachedAgent, readAtGeneration: number): void {
    if (readAtGeneration !== this.#generation) return;
    if (this.#entries.size >= MAX_ENTRIES) {
      // Oldest first (insertion order); a dropped entry only costs one more database read.
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.delete(credentialHash);
    this.#entries.set(credentialHash, { ...agent, expiresAt: this.#now() + this.#ttlMs });
  }

  /** Forgets every credential of `agentId` (called before and after the revoking transaction). */
  revoke(agentId: string): void {
    this.#generation++;
    for (const [key, entry] of this.#entries) if (entry.agentId === agentId) this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }
}

const caches = new WeakMap<object, AgentCredentialCache>();

/** The process's cache for one database (one per Database object, shared by its repositories). */
export function agentCredentialCacheOf(database: object): AgentCredentialCache {
  let cache = caches.get(database);
  if (!cache) caches.set(database, (cache = new AgentCredentialCache()));
  return cache;
}
