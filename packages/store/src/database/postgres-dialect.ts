import pg from 'pg';
import { PostgresDialect } from 'kysely';
import type { Dialect } from 'kysely';
import { pwError } from '@patchwarden/core';
import { preparingPool } from './auto-prepare.ts';
import { describeDatabaseUrl } from './database-url.ts';
import { TYPE_PARSERS } from './type-parsers.ts';

export interface PostgresOptions {
  /** Pool size; migrations need two connections at most. */
  maxConnections?: number;
  connectTimeoutMillis?: number;
}

/** A pg pool for `databaseUrl`, checked by one connection so that a bad URL fails at open. */
export async function postgresDialect(databaseUrl: string, options: PostgresOptions = {}): Promise<Dialect> {
  // Per-pool parsers: pg's global `types.setTypeParser` would change every pg user in the process.
  const types = new pg.TypeOverrides();
  for (const [oid, parse] of Object.entries(TYPE_PARSERS)) types.setTypeParser(Number(oid), parse);
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    types,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMillis ?? 10_000,
  });
  // An idle connection dropped by the server (restart, failover) must not crash the process:
  // the next query checks out a fresh connection or reports the failure itself.
  pool.on('error', () => {});
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end().catch(() => {});
    const reason = error instanceof Error ? error.message || error.name : String(error);
    const where = describeDatabaseUrl(databaseUrl);
    throw pwError(
      'PW_ERR_DATABASE',
      `Cannot connect to PostgreSQL at ${where}: ${reason}`,
      { database: where },
      error,
    );
  }
  // Named prepared statements do not survive a pooler that moves a session's statements between
  // server connections (PgBouncer's transaction mode before 1.21): such setups turn them off.
  const prepared = process.env['PATCHWARDEN_PG_PREPARED_STATEMENTS'] !== 'off';
  return new PostgresDialect({ pool: prepared ? preparingPool(pool) : pool });
}
