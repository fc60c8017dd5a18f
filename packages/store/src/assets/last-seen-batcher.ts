import { sql } from 'kysely';
import type { Database } from '../database/open-database.ts';
import { jsonbParam } from '../sql/jsonb-param.ts';

export const LAST_SEEN_FLUSH_MS = 1_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Coalesces heartbeats' `assets.last_seen` writes: each accepted report is noted in memory and all
 * notes are written by one UPDATE every `flushMs` (default 1 s), so a fleet checking in costs one
 * statement per second rather than one per heartbeat. The stored value only moves forward
 * (`greatest`), whatever order notes and other writers arrive in. A failed flush keeps its notes
 * for the next one. `close()` writes what is pending: call it before the database closes (the
 * agent routes do it in the app's onClose hook). Until a flush, readers see a last_seen up to
 * `flushMs` old.
 */
export class LastSeenBatcher {
  readonly #database: Database;
  readonly #flushMs: number;
  readonly #onError: (error: unknown) => void;
  #pending = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(database: Database, options: { flushMs?: number; onError?: (error: unknown) => void } = {}) {
    this.#database = database;
    this.#flushMs = options.flushMs ?? LAST_SEEN_FLUSH_MS;
    this.#onError = options.onError ?? (() => {});
  }

  /** Records that `assetId` reported at `at` (RFC 3339). After `close()` it is written at once. */
  note(assetId: string, at: string): Promise<void> {
    const time = Date.parse(at);
    if (!UUID.test(assetId) || Number.isNaN(time)) {
      throw new TypeError(`LastSeenBatcher.note: not an asset id and time: ${assetId} ${at}`);
    }
    const known = this.#pending.get(assetId);
    if (known === undefined || time > known) this.#pending.set(assetId, time);
    if (this.#closed) return this.flush();
    this.#schedule();
    return Promise.resolve();
  }

  #schedule(): void {
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.flush().catch((error: unknown) => {
        this.#onError(error);
        if (!this.#closed) this.#schedule(); // The notes were kept: try again later.
      });
    }, this.#flushMs).unref();
  }

  /** Notes not yet written (for tests and metrics). */
  get pending(): number {
    return this.#pending.size;
  }

  /** Writes every pending note; flushes run one after another. */
  flush(): Promise<void> {
    const run = this.#flushing.then(() => this.#write());
    this.#flushing = run.catch(() => {});
    return run;
  }

  async #write(): Promise<void> {
    if (this.#pending.size === 0) return;
    const batch = this.#pending;
    this.#pending = new Map();
    const rows = [...batch].map(([id, time]) => [id, new Date(time).toISOString()]);
    try {
      await sql`update assets a set last_seen = greatest(a.last_seen, v.t)
        from (select (r->>0)::uuid as id, (r->>1)::timestamptz as t
              from jsonb_array_elements(${jsonbParam(rows)}) as r) v
        where a.id = v.id`.execute(this.#database.db);
    } catch (error) {
      for (const [id, time] of batch) {
        const known = this.#pending.get(id);
        if (known === undefined || time > known) this.#pending.set(id, time);
      }
      throw error;
    }
  }

  /** Stops the timer and writes what is pending; later notes are written as they come. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }
}
