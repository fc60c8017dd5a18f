import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssetRepository } from '../assets/asset-repository.ts';
import { freshPostgresTarget } from '../testing/test-database.ts';
import type { TestTarget } from '../testing/test-database.ts';
import { PREPARED, preparingClient, StatementNames } from './auto-prepare.ts';
import { openDatabase } from './open-database.ts';

/** The statements prepared on the connection that runs this, as PostgreSQL lists them. */
async function preparedOn(client: pg.PoolClient): Promise<{ name: string; statement: string }[]> {
  const { rows } = await client.query<{ name: string; statement: string }>(
    'select name, statement from pg_prepared_statements order by name',
  );
  return rows;
}

describe('prepared statements for marked hot statements (PostgreSQL server)', () => {
  let target: TestTarget;
  let pool: pg.Pool;
  beforeAll(async () => {
    target = await freshPostgresTarget();
    pool = new pg.Pool({ connectionString: target.options.databaseUrl, max: 2 });
    await pool.query('create table gadgets (id int primary key, label text)');
    await pool.query("insert into gadgets values (1, 'one'), (2, 'two')");
  });
  afterAll(async () => {
    await pool?.end();
    await target?.remove();
  });

  it('prepares a marked statement from its second use, on every connection under one name', async () => {
    const names = new StatementNames();
    const marked = `${PREPARED} select label from gadgets where id = $1`;
    const a = preparingClient(await pool.connect(), names);
    const b = preparingClient(await pool.connect(), names);
    try {
      expect((await a.query(marked, [1])).rows).toEqual([{ label: 'one' }]);
      expect(await preparedOn(a)).toEqual([]);
      expect((await a.query(marked, [2])).rows).toEqual([{ label: 'two' }]);
      expect(await preparedOn(a)).toEqual([{ name: 'pw_1', statement: marked }]);
      expect((await a.query(marked, [1])).rows).toEqual([{ label: 'one' }]);
      // Another connection of the pool prepares it under the same name on first use.
      expect((await b.query(marked, [2])).rows).toEqual([{ label: 'two' }]);
      expect(await preparedOn(b)).toEqual([{ name: 'pw_1', statement: marked }]);
      // Unmarked statements are never prepared.
      for (let i = 0; i < 3; i++) await a.query('select label from gadgets where id = $1', [1]);
      expect(await preparedOn(a)).toHaveLength(1);
      expect(names.named).toBe(1);
      // Wrapping a client twice changes nothing.
      expect(preparingClient(a, names)).toBe(a);
    } finally {
      a.release();
      b.release();
    }
  });

  it('sends a statement unnamed for good once its prepared form fails because its table changed', async () => {
    const names = new StatementNames();
    const marked = `${PREPARED} select * from gadgets where id = $1`;
    // A pool of its own: names are given per pool, and the first test's connections hold pw_1.
    const own = new pg.Pool({ connectionString: target.options.databaseUrl, max: 1 });
    const client = preparingClient(await own.connect(), names);
    try {
      await client.query(marked, [1]);
      await client.query(marked, [1]);
      expect(await preparedOn(client)).toHaveLength(1);
      await pool.query('alter table gadgets add column colour text');
      await expect(client.query(marked, [1])).rejects.toMatchObject({ code: '0A000' });
      expect((await client.query(marked, [1])).rows).toEqual([{ id: 1, label: 'one', colour: null }]);
      expect((await client.query(marked, [2])).rows).toEqual([{ id: 2, label: 'two', colour: null }]);
    } finally {
      client.release();
      await own.end();
    }
  });

  it('the store prepares the upload statement it marks, and an upload still stores what it should', async () => {
    const database = await openDatabase(target.options);
    try {
      const assets = new AssetRepository(database);
      const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();
      const { asset } = await assets.upsertFromReport(
        { source: 'sbom', facts: { name: 'prepared-app', kind: 'application' } },
        at(0),
      );
      const packages = (version: string) => [
        {
          name: 'left-pad',
          version,
          ecosystem: 'npm',
          kind: 'language' as const,
          packageManager: 'npm' as const,
        },
      ];
      for (let i = 1; i <= 4; i++) {
        const stored = await assets.replaceInventory(asset.id, packages(`1.0.${i}`), at(i));
        expect(stored).toMatchObject({ applied: true, changed: true, packages: 1 });
      }
      // Run one after another, the statements took the pool's most recently released connection
      // (pg-pool hands out idle ones last in, first out), which this query takes too.
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from pg_prepared_statements
        where statement like ${`%${PREPARED}%with owner as%`}`.execute(database.db);
      expect(rows[0]!.n).toBe(1);
      const inventory = await assets.packagesOf(asset.id);
      expect(inventory.map((p) => p.version)).toEqual(['1.0.4']);
    } finally {
      await database.close();
    }
  });
});
