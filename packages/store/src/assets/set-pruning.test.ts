import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstalledPackage } from '@patchwarden/core';
import { AuditLog } from '../audit/audit-log.ts';
import type { Database } from '../database/open-database.ts';
import { openDatabase } from '../database/open-database.ts';
import { BACKENDS, freshTarget } from '../testing/test-database.ts';
import type { TestTarget } from '../testing/test-database.ts';
import { AssetRepository } from './asset-repository.ts';

const NOW = '2025-03-01T00:00:00.000Z';
const at = (minutes: number) => new Date(Date.parse(NOW) + minutes * 60_000).toISOString();
const WORKER = { kind: 'system', id: 'test-worker', name: 'job worker' } as const;

function release(version: string): InstalledPackage[] {
  return [
    { name: 'openssl', version, kind: 'os', packageManager: 'dpkg', ecosystem: 'Debian:12' },
    { name: 'lodash', version: '4.17.21', kind: 'language', packageManager: 'npm', ecosystem: 'npm' },
  ];
}

for (const backend of BACKENDS) {
  describe(`pruneUnusedSets (${backend})`, () => {
    let target: TestTarget;
    let database: Database;
    let assets: AssetRepository;

    beforeAll(async () => {
      target = await freshTarget(backend);
      database = await openDatabase(target.options);
      assets = new AssetRepository(database);
    }, 60_000);
    afterAll(async () => {
      await database?.close();
      await target?.remove();
    });

    const setCount = async () =>
      (await sql<{ n: number }>`select count(*)::int as n from inventory_sets`.execute(database.db)).rows[0]!
        .n;

    it('deletes the sets no asset points at any more, past the grace period, and audits it', async () => {
      const host = async (hostname: string) =>
        (await assets.upsertFromReport({ source: 'agent', facts: { hostname, ips: [], macs: [] } }, NOW))
          .asset.id;
      const [a, b] = [await host('prune-a'), await host('prune-b')];
      await assets.replaceInventory(a, release('3.0.11-1'), at(1));
      await assets.replaceInventory(a, release('3.0.13-1'), at(2)); // The first set is left behind.
      await assets.replaceInventory(b, release('3.0.13-1'), at(3)); // Shares a's current set.
      expect(await setCount()).toBe(2);

      // Within the grace period nothing goes; past it, only the set nobody points at.
      expect(await assets.pruneUnusedSets(24, WORKER)).toBe(0);
      expect(await assets.pruneUnusedSets(0, WORKER)).toBe(1);
      expect(await setCount()).toBe(1);
      for (const id of [a, b]) {
        expect((await assets.packagesOf(id)).find((p) => p.name === 'openssl')?.version).toBe('3.0.13-1');
      }
      const audit = await new AuditLog(database).query({ action: 'inventory.sets.prune' });
      expect(audit.entries).toHaveLength(1);
      expect(audit.entries[0]).toMatchObject({
        actor: { kind: 'system', id: 'test-worker' },
        details: { deleted: 1, graceHours: 0 },
      });

      // The pruned content can come back: it is stored again, and read back right (no stale cache).
      const back = await assets.replaceInventory(a, release('3.0.11-1'), at(4));
      expect(back.reused).toBe(false);
      expect((await assets.packagesOf(a)).find((p) => p.name === 'openssl')?.version).toBe('3.0.11-1');
      const fresh = new AssetRepository(database);
      expect((await fresh.packagesOf(a)).find((p) => p.name === 'openssl')?.version).toBe('3.0.11-1');
      expect(await assets.pruneUnusedSets(0, WORKER)).toBe(0);
      await expect(assets.pruneUnusedSets(-1, WORKER)).rejects.toMatchObject({ code: 'PW_ERR_VALIDATION' });
    });
  });
}
