import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssetRepository } from '../assets/asset-repository.ts';
import type { Database } from '../database/open-database.ts';
import { openDatabase } from '../database/open-database.ts';
import { BACKENDS, freshTarget } from '../testing/test-database.ts';
import type { TestTarget } from '../testing/test-database.ts';
import { migrateToBefore } from '../testing/migrate-before.ts';
import { migrateToLatest } from './migrate-to-latest.ts';
import { MIGRATIONS } from './migrations.ts';

const NOW = '2025-03-01T00:00:00.000Z';
const THIS = '0007-set-arrays-uncompressed';

async function storage(database: Database): Promise<Record<string, string>> {
  const { rows } = await sql<{ attname: string; attstorage: string }>`
    select attname, attstorage from pg_attribute
    where attrelid = 'inventory_sets'::regclass and attname in ('item_ids', 'tuple_ids')`.execute(
    database.db,
  );
  return Object.fromEntries(rows.map((row) => [row.attname, row.attstorage]));
}

for (const backend of BACKENDS) {
  describe(`migration ${THIS} (${backend})`, () => {
    let target: TestTarget;
    let database: Database;

    beforeAll(async () => {
      target = await freshTarget(backend);
      database = await openDatabase(target.options);
    }, 60_000);
    afterAll(async () => {
      await database?.close();
      await target?.remove();
    });

    it('stores set arrays uncompressed, and sets written either way read the same', async () => {
      expect(await storage(database)).toEqual({ item_ids: 'e', tuple_ids: 'e' });
      await migrateToBefore(database.db, THIS);
      expect(await storage(database)).toEqual({ item_ids: 'x', tuple_ids: 'x' });
      // Today's code needs today's schema (an upload also reads findings and the intel generation,
      // of later migrations), so the compressed set is written on the latest schema with this
      // migration alone taken back, as its own `down` does.
      await migrateToLatest(database.db);
      const migration = MIGRATIONS[THIS]!;
      await migration.down!(database.db as never);
      expect(await storage(database)).toEqual({ item_ids: 'x', tuple_ids: 'x' });

      // A set big enough to be stored out of line, written compressed, then one written after.
      const packages = Array.from({ length: 2_000 }, (_, i) => ({
        name: `pkg${i}`,
        version: `1.${i}`,
        kind: 'os' as const,
        packageManager: 'dpkg' as const,
        ecosystem: 'Debian:12',
      }));
      const assets = new AssetRepository(database);
      const hosts: string[] = [];
      for (const hostname of ['before-0007', 'after-0007']) {
        if (hostname === 'after-0007') await migration.up(database.db as never);
        const { asset } = await assets.upsertFromReport(
          { source: 'agent', facts: { hostname, ips: [], macs: [] } },
          NOW,
        );
        await assets.replaceInventory(
          asset.id,
          hostname === 'after-0007' ? packages.slice(1) : packages,
          NOW,
        );
        hosts.push(asset.id);
      }
      expect(await storage(database)).toEqual({ item_ids: 'e', tuple_ids: 'e' });
      await database.close();
      database = await openDatabase(target.options); // No cached sets: both are read from the table.
      const reread = new AssetRepository(database);
      const [first, second] = await Promise.all(hosts.map((id) => reread.packagesOf(id)));
      expect(first).toHaveLength(2_000);
      expect(second).toEqual(first!.slice(1));
      const tuples = await reread.tuplesForAssets(hosts);
      expect(tuples.get(hosts[0]!)).toHaveLength(2_000);
      expect(tuples.get(hosts[1]!)).toHaveLength(1_999);
    });
  });
}
