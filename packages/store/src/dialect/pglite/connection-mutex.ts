/**
 * A first-come, first-served lock. PGlite is one Postgres backend (one session), so a connection
 * is lent to one Kysely caller at a time; without this, a plain query issued while a transaction
 * holds the session would silently run inside that transaction.
 */
export class ConnectionMutex {
  #tail: Promise<void> = Promise.resolve();
  #release: (() => void) | undefined;

  async lock(): Promise<void> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    this.#release = release;
  }

  unlock(): void {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }
}
