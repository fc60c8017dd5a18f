import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describeDatabaseUrl, withDatabaseName } from '../database/database-url.ts';
import type { DatabaseKind, OpenDatabaseOptions } from '../database/open-database.ts';
import { freshPgliteDataDir } from './pglite-template.ts';

/** Every store test runs against each backend, as Kysely's own tests loop over dialects. */
export const BACKENDS: readonly DatabaseKind[] = ['embedded', 'postgres'];

export const TEST_DATABASE_URL =
  process.env['PATCHWARDEN_TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A place for one suite's data that nothing else uses, and how to remove it afterwards. */
export interface TestTarget {
  readonly options: OpenDatabaseOptions;
  /** The data directory or the database name, for messages. */
  readonly name: string;
  remove(): Promise<void>;
}

async function adminQuery(statement: string): Promise<void> {
  const client = new pg.Client({
    connectionString: withDatabaseName(TEST_DATABASE_URL, 'postgres'),
    connectionTimeoutMillis: 5_000,
  });
  try {
    await client.connect();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    // Fail, never skip: a silent skip would hide that half of the store is untested.
    throw new Error(
      `PostgreSQL test server unreachable at ${describeDatabaseUrl(TEST_DATABASE_URL)} (${reason}). ` +
        'Start it (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) ' +
        'or point PATCHWARDEN_TEST_DATABASE_URL at a server where the user may CREATE DATABASE.',
      { cause: error },
    );
  }
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** A new PostgreSQL database `pw_test_<random>` on the test server, dropped by `remove`. */
export async function freshPostgresTarget(): Promise<TestTarget> {
  const name = `pw_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  return {
    name,
    options: { databaseUrl: withDatabaseName(TEST_DATABASE_URL, name) },
    remove: () => adminQuery(`drop database if exists ${name} with (force)`),
  };
}

/** A new temporary PGlite data directory (initdb done, no schema yet), deleted by `remove`. */
export async function freshEmbeddedTarget(): Promise<TestTarget> {
  const dataDir = await freshPgliteDataDir();
  return { name: dataDir, options: { dataDir }, remove: () => rm(dataDir, { recursive: true, force: true }) };
}

export function freshTarget(backend: DatabaseKind): Promise<TestTarget> {
  return backend === 'embedded' ? freshEmbeddedTarget() : freshPostgresTarget();
}

/** An empty temporary directory, for tests of what `openDatabase` does with a new place. */
export async function emptyTempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'pw-store-empty-'));
}
