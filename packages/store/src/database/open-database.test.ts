import { sql } from 'kysely';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PatchwardenError } from '@patchwarden/core';
import { IntelRepository } from '../intel/intel-repository.ts';
import { migrateToLatest } from '../migrations/migrate-to-latest.ts';
import { MIGRATIONS } from '../migrations/migrations.ts';
import { fixtureAdvisories } from '../testing/feed-fixtures.ts';
import { BACKENDS, emptyTempDir, freshPostgresTarget, freshTarget } from '../testing/test-database.ts';
import type { TestTarget } from '../testing/test-database.ts';
import type { Database } from './open-database.ts';
import { openDatabase } from './open-database.ts';

const TABLES = [
  'advisories',
  'advisory_aliases',
  'advisory_packages',
  'agents',
  'api_tokens',
  'asset_inventories',
  'asset_sources',
  'assets',
  'audit_log',
  'cve_records',
  'cwe',
  'enrolment_secrets',
  'epss',
  'feed_sync',
  'findings',
  'intel_generation',
  'inventory_sets',
  'jobs',
  'kev',
  'package_items',
  'package_tuples',
  'patch_type_overrides',
  'policy_versions',
  'role_bindings',
  'sessions',
  'users',
];

async function recordedMigrations(database: Database): Promise<{ name: string; timestamp: string }[]> {
  const { rows } = await sql<{ name: string; timestamp: string }>`
    select name, timestamp from kysely_migration order by name`.execute(database.db);
  return rows;
}

async function tableNames(database: Database): Promise<string[]> {
  const tables = await database.db.introspection.getTables();
  return tables.map((table) => table.name).sort();
}

async function rejection(promise: Promise<unknown>): Promise<PatchwardenError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(PatchwardenError);
  return error as PatchwardenError;
}

describe('openDatabase options', () => {
  it('refuses neither or both of dataDir and databaseUrl', async () => {
    for (const options of [
      {},
      { dataDir: '  ', databaseUrl: '' },
      { dataDir: '/tmp/x', databaseUrl: 'postgres://h/d' },
    ]) {
      const error = await rejection(openDatabase(options));
      expect(error.code).toBe('PW_ERR_USAGE');
    }
  });

  it('names the server, but not the password, when PostgreSQL cannot be reached', async () => {
    const error = await rejection(openDatabase({ databaseUrl: 'postgres://pw:s3cret@127.0.0.1:1/nowhere' }));
    expect(error.code).toBe('PW_ERR_DATABASE');
    expect(error.message).toContain('127.0.0.1:1/nowhere');
    expect(error.message).not.toContain('s3cret');
    expect(JSON.stringify(error.details)).not.toContain('s3cret');
  });
});

for (const backend of BACKENDS) {
  describe(`openDatabase on ${backend}`, () => {
    let target: TestTarget;
    beforeAll(async () => {
      target = await freshTarget(backend);
    });
    afterAll(async () => {
      await target?.remove();
    });

    it('applies every migration once, records it, and does nothing on reopen', async () => {
      const first = await openDatabase(target.options);
      let recorded: { name: string; timestamp: string }[];
      try {
        expect(first.kind).toBe(backend);
        expect(await tableNames(first)).toEqual(TABLES);
        recorded = await recordedMigrations(first);
        expect(recorded.map((row) => row.name)).toEqual(Object.keys(MIGRATIONS));
      } finally {
        await first.close();
      }
      const second = await openDatabase(target.options);
      try {
        expect(await recordedMigrations(second)).toEqual(recorded);
        expect(await migrateToLatest(second.db)).toEqual([]);
      } finally {
        await second.close();
      }
    });

    it('closes idempotently', async () => {
      const database = await openDatabase(target.options);
      await database.close();
      await expect(database.close()).resolves.toBeUndefined();
      await expect(sql`select 1`.execute(database.db)).rejects.toThrow();
    });
  });
}

describe('openDatabase on postgres, several processes at once', () => {
  let target: TestTarget;
  beforeAll(async () => {
    target = await freshPostgresTarget();
  });
  afterAll(async () => {
    await target?.remove();
  });

  it('migrates a new database once when four pools open it concurrently', async () => {
    // Separate pools are separate sessions, exactly as separate server processes would be.
    const opened = await Promise.all([1, 2, 3, 4].map(() => openDatabase(target.options)));
    try {
      for (const database of opened) expect(await tableNames(database)).toEqual(TABLES);
      expect((await recordedMigrations(opened[0]!)).map((row) => row.name)).toEqual(Object.keys(MIGRATIONS));
    } finally {
      await Promise.all(opened.map((database) => database.close()));
    }
  });
});

describe('openDatabase on embedded, a new data directory', () => {
  let parent: string;
  beforeAll(async () => {
    parent = await emptyTempDir();
  });
  afterAll(async () => {
    await rm(parent, { recursive: true, force: true });
  });

  it('creates the directory, and what was stored is there after reopening', async () => {
    // The one test that pays for a real initdb: the zero-setup path a new user takes.
    const dataDir = join(parent, 'nested', 'store');
    const advisories = (await fixtureAdvisories('feeds/GHSA-jf85-cpcp-j695.json')).concat(
      await fixtureAdvisories('feeds/GHSA-xvch-5gv4-984h.json'),
    );
    const first = await openDatabase({ dataDir });
    try {
      expect(await new IntelRepository(first).upsertAdvisories(advisories)).toEqual({
        inserted: 2,
        updated: 0,
        unchanged: 0,
      });
    } finally {
      await first.close();
    }
    const reopened = await openDatabase({ dataDir });
    try {
      const repository = new IntelRepository(reopened);
      expect((await repository.counts()).advisories).toBe(2);
      expect(await repository.advisoriesByAlias('CVE-2019-10744')).toEqual([advisories[0]]);
      expect(await recordedMigrations(reopened)).toHaveLength(Object.keys(MIGRATIONS).length);
    } finally {
      await reopened.close();
    }
  });
});
