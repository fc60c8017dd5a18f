import type { PGliteInterface, Transaction as PGliteTransaction } from '@electric-sql/pglite';
import { CompiledQuery } from 'kysely';
import type { DatabaseConnection, Driver, QueryResult, TransactionSettings } from 'kysely';
import { ConnectionMutex } from './connection-mutex.ts';

export interface PGliteDriverConfig {
  /** An instance, or a factory called once at `init` so the WASM start waits for first use. */
  readonly pglite: PGliteInterface | (() => Promise<PGliteInterface>);
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Kysely driver over one PGlite instance. PGlite is a single Postgres session, so the one
 * connection is lent out under a mutex (as Kysely's SQLite driver does) and a Kysely transaction
 * keeps it for its whole length.
 */
export class PGliteDriver implements Driver {
  readonly #config: PGliteDriverConfig;
  readonly #mutex = new ConnectionMutex();
  #pglite: PGliteInterface | undefined;
  #connection: PGliteConnection | undefined;

  constructor(config: PGliteDriverConfig) {
    this.#config = Object.freeze({ ...config });
  }

  async init(): Promise<void> {
    const source = this.#config.pglite;
    const pglite = typeof source === 'function' ? await source() : source;
    if (pglite.closed) throw new Error('PGlite instance is already closed');
    await pglite.waitReady;
    this.#pglite = pglite;
    this.#connection = new PGliteConnection(pglite);
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#mutex.lock();
    if (!this.#connection) {
      this.#mutex.unlock();
      throw new Error('PGlite driver is not initialised or has been destroyed');
    }
    return this.#connection;
  }

  async releaseConnection(): Promise<void> {
    this.#mutex.unlock();
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    await (connection as PGliteConnection).begin(settings);
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PGliteConnection).finish(true);
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PGliteConnection).finish(false);
  }

  async savepoint(connection: DatabaseConnection, savepointName: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${quoteIdentifier(savepointName)}`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, savepointName: string): Promise<void> {
    await connection.executeQuery(
      CompiledQuery.raw(`rollback to savepoint ${quoteIdentifier(savepointName)}`),
    );
  }

  async releaseSavepoint(connection: DatabaseConnection, savepointName: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release savepoint ${quoteIdentifier(savepointName)}`));
  }

  async destroy(): Promise<void> {
    // Wait for the borrower to finish, so that closing never cuts a transaction in half.
    await this.#mutex.lock();
    try {
      this.#connection = undefined;
      if (this.#pglite && !this.#pglite.closed) await this.#pglite.close();
      this.#pglite = undefined;
    } finally {
      this.#mutex.unlock();
    }
  }
}

/**
 * The session. Transactions go through PGlite's own `transaction()`, which also holds PGlite's
 * internal transaction lock, so code that shares the instance outside Kysely cannot slip a query
 * into ours.
 */
class PGliteConnection implements DatabaseConnection {
  readonly #pglite: PGliteInterface;
  #transaction: PGliteTransaction | undefined;
  #settle: ((commit: boolean) => void) | undefined;
  #closed: Promise<void> | undefined;

  constructor(pglite: PGliteInterface) {
    this.#pglite = pglite;
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const target = this.#transaction ?? this.#pglite;
    const result = await target.query<R>(compiledQuery.sql, [...compiledQuery.parameters], {
      rowMode: 'object',
    });
    return {
      rows: result.rows,
      ...(result.affectedRows === undefined ? {} : { numAffectedRows: BigInt(result.affectedRows) }),
    };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('PGlite has no streaming cursor here: page with keyset pagination instead');
  }

  async begin(settings: TransactionSettings): Promise<void> {
    if (this.#closed) throw new Error('a PGlite transaction is already open on this connection');
    let began!: () => void;
    const hasBegun = new Promise<void>((resolve) => {
      began = resolve;
    });
    const settled = new Promise<boolean>((resolve) => {
      this.#settle = resolve;
    });
    const closed = this.#pglite.transaction(async (tx) => {
      this.#transaction = tx;
      began();
      if (!(await settled)) await tx.rollback();
    });
    this.#closed = closed;
    // If BEGIN itself fails, `closed` rejects before the callback ever runs.
    try {
      await Promise.race([hasBegun, closed]);
    } catch (error) {
      this.#reset();
      throw error;
    }
    const mode = [
      settings.isolationLevel ? `isolation level ${settings.isolationLevel}` : '',
      settings.accessMode ?? '',
    ].filter((part) => part !== '');
    if (mode.length === 0) return;
    try {
      await this.#transaction!.query(`set transaction ${mode.join(' ')}`);
    } catch (error) {
      // Kysely rolls back only transactions whose begin succeeded.
      await this.finish(false);
      throw error;
    }
  }

  async finish(commit: boolean): Promise<void> {
    const closed = this.#closed;
    this.#settle?.(commit);
    try {
      await closed;
    } finally {
      this.#reset();
    }
  }

  #reset(): void {
    this.#transaction = undefined;
    this.#settle = undefined;
    this.#closed = undefined;
  }
}
