import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstalledPackage } from '@patchwarden/core';
import { AssetRepository } from '../assets/asset-repository.ts';
import type { Database } from '../database/open-database.ts';
import { openDatabase } from '../database/open-database.ts';
import { BACKENDS, freshTarget } from '../testing/test-database.ts';
import type { TestTarget } from '../testing/test-database.ts';
import { migrateToBefore } from '../testing/migrate-before.ts';
import { migrateToLatest } from './migrate-to-latest.ts';

const NOW = '2025-03-01T00:00:00.000Z';
const THIS = '0006-inventory-set-arrays';

function pkg(name: string, version: string, extra: Partial<InstalledPackage> = {}): InstalledPackage {
  return { name, version, kind: 'os', packageManager: 'dpkg', ecosystem: 'Debian:12', ...extra };
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

    it('converts one-row-per-package sets to arrays and back, losing nothing', async () => {
      const assets = new AssetRepository(database);
      const hosts: string[] = [];
      for (const [hostname, packages] of [
        [
          'mig-a',
          [pkg('libssl3', '3.0.11', { sourceName: 'openssl', arch: 'amd64' }), pkg('zlib1g', '1.2.13')],
        ],
        [
          'mig-b',
          [
            pkg('zlib1g', '1.2.13'),
            pkg('curl', '7.88.1', { location: { file: '/var/lib/dpkg/status', line: 7 } }),
          ],
        ],
        ['mig-c', []],
      ] as const) {
        const { asset } = await assets.upsertFromReport(
          { source: 'agent', facts: { hostname, ips: [], macs: [] } },
          NOW,
        );
        await assets.replaceInventory(asset.id, packages, NOW);
        hosts.push(asset.id);
      }
      const snapshot = async (repository: AssetRepository) => ({
        inventories: await Promise.all(hosts.map((id) => repository.inventoryOf(id))),
        tuples: [...(await repository.tuplesForAssets(hosts))].sort(),
        exposed: [...(await repository.setsWithPackages([['Debian:12', 'zlib1g']]))].sort(),
      });
      const before = await snapshot(assets);
      expect(before.exposed).toHaveLength(2);

      await migrateToBefore(database.db, THIS);
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from inventory_set_items`.execute(database.db);
      expect(rows[0]!.n).toBe(4);

      await migrateToLatest(database.db);
      await database.close();
      database = await openDatabase(target.options); // A new Database object: no cached ids or sets.
      expect(await snapshot(new AssetRepository(database))).toEqual(before);
    });
  });
}
