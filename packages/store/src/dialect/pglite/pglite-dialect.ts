import { PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import type { DatabaseIntrospector, Dialect, DialectAdapter, Driver, Kysely, QueryCompiler } from 'kysely';
import { PGliteDriver } from './pglite-driver.ts';
import type { PGliteDriverConfig } from './pglite-driver.ts';

/**
 * Kysely dialect for PGlite (Postgres compiled to WASM). Everything but the driver is Postgres's
 * own: PGlite is a real Postgres backend, so SQL, introspection and the migration advisory lock
 * behave exactly as on a server.
 */
export class PGliteDialect implements Dialect {
  readonly #config: PGliteDriverConfig;

  constructor(config: PGliteDriverConfig) {
    this.#config = config;
  }

  createAdapter(): DialectAdapter {
    return new PostgresAdapter();
  }

  createDriver(): Driver {
    return new PGliteDriver(this.#config);
  }

  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }

  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }
}
