import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AssetFacts, InstalledPackage } from '@patchwarden/core';
import type { Database } from '../database/open-database.ts';
import { openDatabase } from '../database/open-database.ts';
import { BACKENDS, freshTarget } from '../testing/test-database.ts';
import type { TestTarget } from '../testing/test-database.ts';
import { AssetRepository } from './asset-repository.ts';
import { canonicalSet } from './inventory-sets.ts';
import { LastSeenBatcher } from './last-seen-batcher.ts';

const NOW = '2025-03-01T00:00:00.000Z';
const at = (minutes: number) => new Date(Date.parse(NOW) + minutes * 60_000).toISOString();

function facts(hostname: string, mac: string): AssetFacts {
  return { hostname, ips: [], macs: [mac], os: { id: 'debian', versionId: '12', ecosystem: 'Debian:12' } };
}

function packages(suffix: string): InstalledPackage[] {
  return [
    {
      name: 'libssl3',
      version: `3.0.11-1~deb12u2${suffix}`,
      kind: 'os',
      packageManager: 'dpkg',
      ecosystem: 'Debian:12',
      sourceName: 'openssl',
      sourceVersion: `3.0.11-1~deb12u2${suffix}`,
      arch: 'amd64',
    },
    { name: 'lodash', version: `4.17.4${suffix}`, kind: 'language', packageManager: 'npm', ecosystem: 'npm' },
  ];
}

for (const backend of BACKENDS) {
  describe(`inventory write path caches (${backend})`, () => {
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

    /** Assets reported by agents, one per name, with MACs `${macPrefix}0`, `${macPrefix}1`, ... */
    const agentAssets = (names: readonly string[], macPrefix: string) =>
      Promise.all(
        names.map(
          async (name, i) =>
            (await assets.upsertFromReport({ source: 'agent', facts: facts(name, `${macPrefix}${i}`) }, NOW))
              .asset.id,
        ),
      );

    const lastSeenOf = async (id: string) =>
      (
        await database.db
          .selectFrom('assets')
          .select('last_seen')
          .where('id', '=', id)
          .executeTakeFirstOrThrow()
      ).last_seen?.toISOString();

    it('checkinState follows every write of this process at once, through any repository', async () => {
      const { asset } = await assets.upsertFromReport(
        { source: 'agent', facts: facts('cache-a', '52:54:00:00:01:0a') },
        NOW,
      );
      const first = await assets.checkinState(asset.id);
      expect(first).toMatchObject({ asset: { hostname: 'cache-a' }, inventoryHash: undefined });
      // A second repository on the same database: its writes must not leave the first one stale.
      const other = new AssetRepository(database);
      await other.replaceInventory(asset.id, packages(''), NOW, { reportedHash: `sha256:${'a'.repeat(64)}` });
      expect((await assets.checkinState(asset.id))?.inventoryHash).toBe(`sha256:${'a'.repeat(64)}`);
      await other.update(asset.id, { fqdn: 'cache-a.example.net' });
      expect((await assets.checkinState(asset.id))?.asset.fqdn).toBe('cache-a.example.net');
      await other.remove(asset.id);
      expect(await assets.checkinState(asset.id)).toBeUndefined();
    });

    it('a failed upload links nothing, and hands out no tuple or item id that does not exist', async () => {
      const { asset: doomed } = await assets.upsertFromReport(
        { source: 'agent', facts: facts('cache-doomed', '52:54:00:00:01:0b') },
        NOW,
      );
      const { asset: kept } = await assets.upsertFromReport(
        { source: 'agent', facts: facts('cache-kept', '52:54:00:00:01:0c') },
        NOW,
      );
      // Fails the statement that writes the set and links it, after tuples and items were interned.
      await sql`create function pw_test_refuse() returns trigger language plpgsql as $$
        begin raise exception 'refused for the test'; end $$`.execute(database.db);
      await sql
        .raw(
          `create trigger pw_test_refuse before insert on asset_inventories for each row
        when (new.asset_id = '${doomed.id}') execute function pw_test_refuse()`,
        )
        .execute(database.db);
      const fresh = packages('+rollback');
      await expect(assets.replaceInventory(doomed.id, fresh, NOW)).rejects.toThrow(/refused for the test/);
      expect(await assets.inventoryOf(doomed.id)).toBeUndefined();
      expect((await assets.checkinState(doomed.id))?.inventoryHash).toBeUndefined();
      const sets = await sql<{ n: number }>`
        select count(*)::int as n from inventory_sets where hash = ${canonicalSet(fresh).hash}`.execute(
        database.db,
      );
      expect(sets.rows[0]!.n).toBe(0);
      // Interned tuples and items stay: they are immutable, shared, and committed on their own.
      const tuples = await sql<{ n: number }>`
        select count(*)::int as n from package_tuples where version like '%+rollback'`.execute(database.db);
      expect(tuples.rows[0]!.n).toBe(2);

      // The same packages again, on another asset and through another repository: every id the
      // caches could offer must exist, so the set reads back whole.
      const stored = await new AssetRepository(database).replaceInventory(kept.id, fresh, NOW);
      expect(stored).toMatchObject({ reused: false, newTuples: 0, packages: 2, applied: true });
      const read = await new AssetRepository(database).inventoryOf(kept.id);
      expect(read?.packages.map((p) => p.version).sort()).toEqual([
        '3.0.11-1~deb12u2+rollback',
        '4.17.4+rollback',
      ]);
      const { rows } = await sql<{ missing: number }>`
        select count(*)::int as missing from inventory_sets s cross join unnest(s.item_ids) as u(item_id)
        where not exists (select 1 from package_items p where p.id = u.item_id)`.execute(database.db);
      expect(rows[0]!.missing).toBe(0);
      await sql`drop trigger pw_test_refuse on asset_inventories`.execute(database.db);
    });

    it('a changed inventory adds only its new items, and sets read back in canonical order', async () => {
      const { asset } = await assets.upsertFromReport(
        { source: 'agent', facts: facts('cache-delta', '52:54:00:00:01:0d') },
        NOW,
      );
      const count = async () =>
        (await sql<{ n: number }>`select count(*)::int as n from package_items`.execute(database.db)).rows[0]!
          .n;
      await assets.replaceInventory(asset.id, packages('+d1'), at(1));
      const before = await count();
      const next = [...packages('+d1').slice(0, 1), ...packages('+d2').slice(1)];
      const result = await assets.replaceInventory(asset.id, next, at(2));
      expect(result).toMatchObject({ changed: true, newTuples: 1 });
      expect(await count()).toBe(before + 1);
      // The set just written is read from the process's cache: it must say what the rows say.
      const cached = await assets.setItems(result.setId);
      const { rows: stored } = await sql<{
        tupleId: number;
        ecosystem: string;
        name: string;
        version: string;
      }>`
        select p.tuple_id as "tupleId", t.ecosystem, t.name, t.version
        from inventory_sets s
        cross join unnest(s.item_ids) with ordinality as u(item_id, ord)
        join package_items p on p.id = u.item_id
        join package_tuples t on t.id = p.tuple_id
        where s.id = ${result.setId}
        order by u.ord`.execute(database.db);
      expect(cached.map(({ tupleId, tuple }) => ({ tupleId: Number(tupleId), ...tuple }))).toEqual(
        stored.map((row) => ({ ...row, tupleId: Number(row.tupleId) })),
      );
      const nameVersion = (pkg: { name: string; version: string }) => `${pkg.name}@${pkg.version}`;
      expect(cached.map((item) => nameVersion(item.package)).sort()).toEqual(next.map(nameVersion).sort());
      const tuples = await assets.tuplesForAssets([asset.id]);
      expect(tuples.get(asset.id)).toEqual(cached.map((item) => item.tupleId).sort((a, b) => a - b));
      const exposed = await assets.setsWithPackages([['npm', 'lodash']]);
      expect(exposed.get(result.setId)).toEqual([asset.id]);
    });

    // Separate processes share a database only on PostgreSQL (the embedded store is one process's).
    it.runIf(backend === 'postgres')(
      'uploads racing to intern the same new packages all get every id (separate processes)',
      async () => {
        // Each upload has its own repository over its own database handle: no shared id cache, so
        // every one of them inserts the same 300 new tuples and items at once. Losers of the insert
        // race cannot see the winner's rows in their statement's snapshot and must read them again.
        const racers = await Promise.all(Array.from({ length: 6 }, () => openDatabase(target.options)));
        try {
          const shared = Array.from({ length: 300 }, (_, i): InstalledPackage => ({
            name: `race-${i}`,
            version: `1.${i}`,
            kind: 'language',
            packageManager: 'npm',
            ecosystem: 'npm',
          }));
          const hosts = await Promise.all(
            racers.map(async (db, i) => {
              const repository = new AssetRepository(db);
              const { asset } = await repository.upsertFromReport(
                { source: 'agent', facts: facts(`race-${i}`, `52:54:00:00:0e:0${i}`) },
                NOW,
              );
              return { repository, id: asset.id };
            }),
          );
          const results = await Promise.all(
            hosts.map(({ repository, id }, i) =>
              repository.replaceInventory(id, [...shared, ...packages(`-race${i}`)], at(1)),
            ),
          );
          expect(results.every((result) => result.packages === 302)).toBe(true);
          expect(results.reduce((sum, result) => sum + result.newTuples, 0)).toBe(300 + 6 * 2);
          const reread = new AssetRepository(database);
          for (const [i, { id }] of hosts.entries()) {
            const stored = await reread.packagesOf(id);
            expect(stored).toHaveLength(302);
            expect(
              stored
                .filter((p) => p.name.startsWith('race-'))
                .map((p) => p.version)
                .sort(),
            ).toEqual(shared.map((p) => p.version).sort());
            expect(stored.find((p) => p.name === 'lodash')?.version).toBe(`4.17.4-race${i}`);
          }
          const { rows } = await sql<{ n: number }>`
          select count(*)::int as n from package_tuples where name like 'race-%'`.execute(database.db);
          expect(rows[0]!.n).toBe(300);
        } finally {
          await Promise.all(racers.map((db) => db.close()));
        }
      },
    );

    it('concurrent uploads: one new set written once for all, and a host keeps its most recent report', async () => {
      const hosts = await Promise.all(
        Array.from(
          { length: 8 },
          async (_, i) =>
            (
              await assets.upsertFromReport(
                {
                  source: 'agent',
                  facts: facts(`cache-race-${i}`, `52:54:00:00:02:${String(i).padStart(2, '0')}`),
                },
                NOW,
              )
            ).asset.id,
        ),
      );
      const shared = packages('+race');
      // Each through its own repository and pool connection, all at once.
      const results = await Promise.all(
        hosts.map((id) => new AssetRepository(database).replaceInventory(id, shared, NOW)),
      );
      expect(new Set(results.map((r) => r.setId)).size).toBe(1);
      expect(results.every((r) => r.applied)).toBe(true);
      expect(results.filter((r) => !r.reused)).toHaveLength(1);
      const sets = await sql<{ n: number }>`
        select count(*)::int as n from inventory_sets where hash = ${canonicalSet(shared).hash}`.execute(
        database.db,
      );
      expect(sets.rows[0]!.n).toBe(1);

      // Five reports of one host racing, sent newest first: the newest stays linked.
      const host = hosts[0]!;
      const reports = [5, 4, 3, 2, 1].map((minute) => ({ minute, packages: packages(`+race${minute}`) }));
      const applied = await Promise.all(
        reports.map(({ minute, packages: p }) =>
          new AssetRepository(database).replaceInventory(host, p, at(minute), {
            reportedHash: `sha256:${String(minute).repeat(64)}`,
          }),
        ),
      );
      expect(applied[0]!.applied).toBe(true);
      const stored = await new AssetRepository(database).inventoryOf(host);
      expect(stored?.receivedAt).toBe(at(5));
      expect(stored?.setId).toBe(applied[0]!.setId);
      expect((await new AssetRepository(database).checkinState(host))?.inventoryHash).toBe(
        `sha256:${'5'.repeat(64)}`,
      );
    });

    it('uploads storing the same new items at once: each item is sent to the database once', async () => {
      const [first, second] = await agentAssets(['cache-flight-1', 'cache-flight-2'], '52:54:00:00:04:0');
      // Every item insert attempted is recorded (before any conflict check) and made slow, so
      // that the second upload arrives while the first one's insert is still running. Only
      // PostgreSQL can tell a second send from none: the embedded store runs one statement at a
      // time, so there a second upload's own insert would find the rows committed and attempt
      // nothing; there the test checks that waiting gives both hosts their whole set.
      await sql`create table pw_test_item_attempts (details jsonb)`.execute(database.db);
      await sql`create function pw_test_slow_item() returns trigger language plpgsql as $$
        begin insert into pw_test_item_attempts values (new.details); perform pg_sleep(0.3); return new; end $$`.execute(
        database.db,
      );
      await sql`create trigger pw_test_slow_item before insert on package_items
        for each row execute function pw_test_slow_item()`.execute(database.db);
      try {
        const shared = packages('+flight');
        const uploads = [assets.replaceInventory(first!, shared, NOW)];
        await new Promise((resolve) => setTimeout(resolve, 100));
        // Another repository of the same database: the process's caches are per database.
        uploads.push(new AssetRepository(database).replaceInventory(second!, shared, NOW));
        const [a, b] = await Promise.all(uploads);
        expect(a!.setId).toBe(b!.setId);
        expect([a!.applied, b!.applied]).toEqual([true, true]);
        const attempts = await sql<{ n: number }>`
          select count(*)::int as n from pw_test_item_attempts`.execute(database.db);
        expect(attempts.rows[0]!.n).toBe(shared.length);
        for (const host of [first!, second!]) {
          const read = await new AssetRepository(database).inventoryOf(host);
          expect(read?.packages.map((p) => p.version).sort()).toEqual([
            '3.0.11-1~deb12u2+flight',
            '4.17.4+flight',
          ]);
        }
      } finally {
        await sql`drop trigger pw_test_slow_item on package_items`.execute(database.db);
        await sql`drop function pw_test_slow_item()`.execute(database.db);
        await sql`drop table pw_test_item_attempts`.execute(database.db);
      }
    });

    it('an upload that waited for another one storing its items stores them itself when that one fails', async () => {
      const [first, second] = await agentAssets(['cache-flight-3', 'cache-flight-4'], '52:54:00:00:04:1');
      // The first item insert fails, slowly (a sequence, as its value survives the rollback).
      await sql`create sequence pw_test_once`.execute(database.db);
      await sql`create function pw_test_fail_once() returns trigger language plpgsql as $$
        begin
          if nextval('pw_test_once') = 1 then perform pg_sleep(0.3); raise exception 'refused once'; end if;
          return new;
        end $$`.execute(database.db);
      await sql`create trigger pw_test_fail_once before insert on package_items
        for each row execute function pw_test_fail_once()`.execute(database.db);
      try {
        const shared = packages('+flight-fails');
        const failing = assets.replaceInventory(first!, shared, NOW).then(
          () => 'stored',
          (error: unknown) => error,
        );
        await new Promise((resolve) => setTimeout(resolve, 100));
        const waiting = await new AssetRepository(database).replaceInventory(second!, shared, NOW);
        expect(await failing).toMatchObject({ code: 'PW_ERR_DATABASE', message: /refused once/ });
        expect(waiting).toMatchObject({ applied: true, packages: 2 });
        const read = await new AssetRepository(database).inventoryOf(second!);
        expect(read?.packages.map((p) => p.version).sort()).toEqual([
          '3.0.11-1~deb12u2+flight-fails',
          '4.17.4+flight-fails',
        ]);
        expect(await assets.inventoryOf(first!)).toBeUndefined();
      } finally {
        await sql`drop trigger pw_test_fail_once on package_items`.execute(database.db);
        await sql`drop function pw_test_fail_once()`.execute(database.db);
        await sql`drop sequence pw_test_once`.execute(database.db);
      }
    });

    // Needs two connections at once (one holds the delete open), which the embedded store has not.
    it.runIf(backend === 'postgres')(
      'an asset deleted while its inventory is being linked: PW_ERR_NOT_FOUND, nothing linked',
      async () => {
        const { asset } = await assets.upsertFromReport(
          { source: 'agent', facts: facts('cache-deleted', '52:54:00:00:03:01') },
          NOW,
        );
        let release!: () => void;
        const held = new Promise<void>((resolve) => (release = resolve));
        let deleted!: () => void;
        const deleting = new Promise<void>((resolve) => (deleted = resolve));
        const deletion = database.db.transaction().execute(async (trx) => {
          await sql`delete from assets where id = ${asset.id}::uuid`.execute(trx);
          deleted();
          await held;
        });
        await deleting;
        // Its outcome is taken at once: on a loaded machine the upload may reach its link statement
        // only after the deletion committed, and reject before this test awaits it.
        const upload = assets.replaceInventory(asset.id, packages('+deleted'), NOW).then(
          () => 'stored',
          (error: unknown) => error,
        );
        // The link statement waits for the deleting transaction's row lock.
        await new Promise((resolve) => setTimeout(resolve, 300));
        release();
        await deletion;
        expect(await upload).toMatchObject({ code: 'PW_ERR_NOT_FOUND' });
        const links = await sql<{ n: number }>`
          select count(*)::int as n from asset_inventories where asset_id = ${asset.id}::uuid`.execute(
          database.db,
        );
        expect(links.rows[0]!.n).toBe(0);
      },
    );

    it('LastSeenBatcher writes on flush and close, and last_seen never goes backwards', async () => {
      const { asset } = await assets.upsertFromReport(
        { source: 'agent', facts: facts('cache-seen', '52:54:00:00:01:0e') },
        at(0),
      );
      const batcher = new LastSeenBatcher(database, { flushMs: 60_000 });
      await batcher.note(asset.id, at(10));
      await batcher.note(asset.id, at(5)); // An older note for the same asset is not a step back.
      expect(batcher.pending).toBe(1);
      expect(await lastSeenOf(asset.id)).toBe(at(0));
      await batcher.flush();
      expect(await lastSeenOf(asset.id)).toBe(at(10));
      // Another writer moved it further meanwhile: an older note must not undo that.
      await database.db
        .updateTable('assets')
        .set({ last_seen: at(30) })
        .where('id', '=', asset.id)
        .execute();
      await batcher.note(asset.id, at(20));
      await batcher.flush();
      expect(await lastSeenOf(asset.id)).toBe(at(30));
      await batcher.note(asset.id, at(40));
      await batcher.close();
      expect(batcher.pending).toBe(0);
      expect(await lastSeenOf(asset.id)).toBe(at(40));
      await batcher.note(asset.id, at(50)); // After close, written at once.
      expect(await lastSeenOf(asset.id)).toBe(at(50));
      expect(() => batcher.note('not-a-uuid', at(60))).toThrow(/not an asset id/);
    });

    it('LastSeenBatcher flushes by itself after flushMs', async () => {
      const { asset } = await assets.upsertFromReport(
        { source: 'agent', facts: facts('cache-timer', '52:54:00:00:01:0f') },
        at(0),
      );
      const batcher = new LastSeenBatcher(database, { flushMs: 20 });
      await batcher.note(asset.id, at(7));
      await expect.poll(() => lastSeenOf(asset.id), { timeout: 5_000 }).toBe(at(7));
      await batcher.close();
    });
  });
}
