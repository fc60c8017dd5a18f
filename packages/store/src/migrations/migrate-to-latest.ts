import { Migrator, sql } from 'kysely';
import type { Kysely, MigrationResult } from 'kysely';
import { pwError } from '@patchwarden/core';
import { migrationProvider } from './migrations.ts';

/**
 * Session-level advisory lock key, so that two processes opening the same database at once run
 * the migrations one after the other (the second finds nothing to do). Kysely's migrator also
 * locks, but only around the migrations, not around the creation of its own bookkeeping tables.
 */
const LOCK_KEY = sql`hashtextextended('patchwarden:migrations', 0)`;

/** Applies pending migrations; returns those that ran (empty when the schema was current). */
export async function migrateToLatest<DB>(db: Kysely<DB>): Promise<MigrationResult[]> {
  // One connection for lock, migrations and unlock: the lock belongs to a session.
  return db.connection().execute(async (connection) => {
    await sql`select pg_advisory_lock(${LOCK_KEY})`.execute(connection);
    try {
      const { error, results = [] } = await new Migrator({
        db: connection,
        provider: migrationProvider,
      }).migrateToLatest();
      if (error !== undefined) {
        const failed = results.find((result) => result.status === 'Error')?.migrationName;
        const reason = error instanceof Error ? error.message : String(error);
        throw pwError(
          'PW_ERR_MIGRATION',
          failed ? `Migration ${failed} failed: ${reason}` : `Migrations could not run: ${reason}`,
          failed ? { migration: failed } : {},
          error,
        );
      }
      return results;
    } finally {
      await sql`select pg_advisory_unlock(${LOCK_KEY})`.execute(connection);
    }
  });
}
