import { Kysely } from 'kysely';
import type { Transaction } from 'kysely';
import { PatchwardenError, pwError } from '@patchwarden/core';
import { migrateToLatest } from '../migrations/migrate-to-latest.ts';
import type { Schema } from '../schema/schema.ts';
import { embeddedDialect } from './embedded-dialect.ts';
import { postgresDialect } from './postgres-dialect.ts';

export interface OpenDatabaseOptions {
  /** Embedded store (PGlite) in this directory, created if missing; `memory://` for no files. */
  dataDir?: string;
  /** A PostgreSQL server, as `postgres://user:password@host:port/database`. */
  databaseUrl?: string;
}

export type DatabaseKind = 'embedded' | 'postgres';

export interface Database {
  readonly db: Kysely<Schema>;
  readonly kind: DatabaseKind;
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (trx: Transaction<Schema>) => Promise<T>): Promise<T>;
  /** Closes the pool or the embedded instance; safe to call twice. */
  close(): Promise<void>;
}

class OpenedDatabase implements Database {
  readonly db: Kysely<Schema>;
  readonly kind: DatabaseKind;
  #closing: Promise<void> | undefined;

  constructor(db: Kysely<Schema>, kind: DatabaseKind) {
    this.db = db;
    this.kind = kind;
  }

  transaction<T>(fn: (trx: Transaction<Schema>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  close(): Promise<void> {
    this.#closing ??= this.db.destroy();
    return this.#closing;
  }
}

function given(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/**
 * Opens the store and brings its schema up to date. Exactly one of `dataDir` (embedded, zero
 * setup) or `databaseUrl` (a PostgreSQL server, for scale) must be given; both serve the same
 * schema and queries.
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const dataDir = given(options.dataDir);
  const databaseUrl = given(options.databaseUrl);
  if ((dataDir === undefined) === (databaseUrl === undefined)) {
    throw pwError(
      'PW_ERR_USAGE',
      'Give exactly one of a data directory (embedded store) or a PostgreSQL connection string (DATABASE_URL)',
      { field: dataDir === undefined ? 'dataDir|databaseUrl' : 'dataDir+databaseUrl' },
    );
  }
  const kind: DatabaseKind = dataDir !== undefined ? 'embedded' : 'postgres';
  const dialect =
    dataDir !== undefined ? await embeddedDialect(dataDir) : await postgresDialect(databaseUrl!);
  const db = new Kysely<Schema>({ dialect });
  try {
    await migrateToLatest(db);
  } catch (error) {
    await db.destroy().catch(() => {});
    if (error instanceof PatchwardenError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw pwError(
      'PW_ERR_DATABASE',
      `Cannot bring the ${kind} database schema up to date: ${reason}`,
      {},
      error,
    );
  }
  return new OpenedDatabase(db, kind);
}
