import { sql } from 'kysely';
import { parseAssetFilter } from '@patchwarden/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssetRepository } from '../assets/asset-repository.ts';
import type { Database } from '../database/open-database.ts';
import { openDatabase } from '../database/open-database.ts';
import { BACKENDS, freshTarget } from '../testing/test-database.ts';
import type { TestTarget } from '../testing/test-database.ts';
import { migrateToBefore } from '../testing/migrate-before.ts';
import { migrateToLatest } from './migrate-to-latest.ts';

const THIS = '0009-assets-hot-updates';
const NOW = '2025-03-01T00:00:00.000Z';

/**
 * Whether an update like an upload's (inventory and seen times) is heap-only: counted by the
 * session that makes it, so no statistics flush is waited for. Rolled back: the row stays as it was.
 */
async function uploadUpdateIsHot(database: Database, assetId: string): Promise<boolean> {
  let hot = -1;
  await database.db
    .transaction()
    .execute(async (trx) => {
      // The counter holds the session's counts not yet flushed to the statistics: a difference.
      const count = async () => {
        const { rows } = await sql<{ hot: string | number }>`
          select pg_stat_get_xact_tuples_hot_updated('assets'::regclass) as hot`.execute(trx);
        return Number(rows[0]!.hot);
      };
      const before = await count();
      await sql`update assets set inventory_at = now(), last_seen = now(), updated_at = now()
                where id = ${assetId}::uuid`.execute(trx);
      hot = (await count()) - before;
      throw new Error('roll back');
    })
    .catch((error: unknown) => {
      if (!(error instanceof Error) || error.message !== 'roll back') throw error;
    });
  return hot === 1;
}

async function schemaState(database: Database): Promise<{ index: boolean; options: string[] }> {
  const { rows } = await sql<{ index: boolean; options: string[] | null }>`
    select exists (select 1 from pg_indexes where indexname = 'assets_inventory_at_idx') as index,
      (select reloptions from pg_class where oid = 'assets'::regclass) as options`.execute(database.db);
  return { index: rows[0]!.index, options: rows[0]!.options ?? [] };
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

    it('lets an upload update its asset without touching an index, and the stale filters still work', async () => {
      const assets = new AssetRepository(database);
      const { asset } = await assets.upsertFromReport(
        { source: 'agent', facts: { hostname: 'hot-1', ips: ['10.0.0.1'], macs: ['02:00:00:00:00:01'] } },
        NOW,
      );
      expect(await schemaState(database)).toEqual({ index: false, options: ['fillfactor=80'] });
      expect(await uploadUpdateIsHot(database, asset.id)).toBe(true);

      await migrateToBefore(database.db, THIS);
      expect(await schemaState(database)).toEqual({ index: true, options: [] });
      // The indexed column changes: every index gets a new entry.
      expect(await uploadUpdateIsHot(database, asset.id)).toBe(false);

      await migrateToLatest(database.db);
      expect(await schemaState(database)).toEqual({ index: false, options: ['fillfactor=80'] });
      expect(await uploadUpdateIsHot(database, asset.id)).toBe(true);

      // What the index was there for: unknown (no inventory yet) and stale assets are still found.
      const now = '2025-03-20T00:00:00.000Z';
      const unknown = await assets.list(parseAssetFilter('unknown:true'), { now });
      expect(unknown.items.map((a) => a.id)).toEqual([asset.id]);
      await assets.replaceInventory(asset.id, [], NOW);
      const stale = await assets.list(parseAssetFilter('stale:true'), {
        now,
        staleAfterDays: 7,
      });
      expect(stale.items.map((a) => a.id)).toEqual([asset.id]);
      const none = await assets.list(parseAssetFilter('unknown:true'), { now });
      expect(none.items).toEqual([]);
    });
  });
}
