import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Advisory } from '@patchwarden/core';
import { normalizePackageName, PatchwardenError } from '@patchwarden/core';
import type { Database } from '../database/open-database.ts';
import { openDatabase } from '../database/open-database.ts';
import { fixtureAdvisories } from '../testing/feed-fixtures.ts';
import { BACKENDS, freshTarget } from '../testing/test-database.ts';
import type { TestTarget } from '../testing/test-database.ts';
import { aliasKeys, packageKeys } from './advisory-rows.ts';
import { IntelRepository } from './intel-repository.ts';

const DAY = 24 * 60 * 60 * 1000;

/** The same advisory as published `days` later (or earlier): a targeted edit of a real record. */
function republished(advisory: Advisory, days: number, changes: Partial<Advisory> = {}): Advisory {
  const modified = new Date(Date.parse(advisory.modified) + days * DAY).toISOString();
  return { ...structuredClone(advisory), ...changes, modified };
}

function byId(advisories: readonly Advisory[]): Advisory[] {
  return [...advisories].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

async function rejection(promise: Promise<unknown>): Promise<PatchwardenError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(PatchwardenError);
  return error as PatchwardenError;
}

let go: Advisory[];
let pypi: Advisory[];

beforeAll(async () => {
  // Real feeds: the whole Go vulnerability database (4,291 records) and the PyPA database.
  [go, pypi] = await Promise.all([
    fixtureAdvisories('feeds/golang-vulndb-osv.jsonl.gz'),
    fixtureAdvisories('feeds/pypa-advisory-database-osv.jsonl.gz'),
  ]);
});

for (const backend of BACKENDS) {
  describe(`IntelRepository advisories on ${backend}`, () => {
    let target: TestTarget;
    let database: Database;
    let repository: IntelRepository;
    beforeAll(async () => {
      target = await freshTarget(backend);
      database = await openDatabase(target.options);
      repository = new IntelRepository(database);
    });
    afterAll(async () => {
      await database?.close();
      await target?.remove();
    });
    beforeEach(async () => {
      await sql`truncate advisories, advisory_packages, advisory_aliases restart identity`.execute(
        database.db,
      );
    });

    it('stores the whole Go database, reads it back exactly in bounded batches, and a re-import changes nothing', async () => {
      expect(go).toHaveLength(4291);
      expect(await repository.upsertAdvisories(go)).toEqual({ inserted: 4291, updated: 0, unchanged: 0 });
      const counts = await repository.counts();
      expect(counts.advisories).toBe(4291);
      expect(counts.advisoryPackages).toBe(go.reduce((sum, a) => sum + packageKeys(a).length, 0));
      expect(counts.advisoryAliases).toBe(go.reduce((sum, a) => sum + aliasKeys(a).length, 0));

      const sizes: number[] = [];
      const streamed: Advisory[] = [];
      for await (const batch of repository.streamAdvisoryBatches({ batchSize: 1000 })) {
        sizes.push(batch.length);
        streamed.push(...batch);
      }
      expect(sizes).toEqual([1000, 1000, 1000, 1000, 291]);
      expect(byId(streamed)).toEqual(byId(go));

      expect(await repository.upsertAdvisories(go)).toEqual({ inserted: 0, updated: 0, unchanged: 4291 });
      expect(await repository.counts()).toEqual(counts);
    });

    it('streams one advisory at a time without skipping or repeating', async () => {
      const some = go.slice(0, 23);
      await repository.upsertAdvisories(some);
      const ids: string[] = [];
      for await (const advisory of repository.streamAdvisories({ batchSize: 5 })) ids.push(advisory.id);
      expect(ids).toEqual(some.map((a) => a.id));
      await expect(repository.streamAdvisories({ batchSize: 0 }).next()).rejects.toMatchObject({
        code: 'PW_ERR_USAGE',
      });
    });

    // PyPA records carry real `modified` times; every Go record in the vulndb repository says
    // 0001-01-01 (Go's zero time), so Go copies cannot be made older.
    it('never lets an older or equally old copy overwrite the stored advisory', async () => {
      const stored = pypi[0]!;
      await repository.upsertAdvisories(pypi.slice(0, 50));
      const older = republished(stored, -1, { summary: 'an older copy' });
      const same = republished(stored, 0, { summary: 'same time, other text' });
      expect(await repository.upsertAdvisories([older, same])).toEqual({
        inserted: 0,
        updated: 0,
        unchanged: 2,
      });
      expect(await repository.advisoriesByAlias(stored.id)).toEqual([stored]);
    });

    it('replaces an advisory with a newer copy and rebuilds its package and alias rows', async () => {
      const original = pypi.find((a) => a.aliases.length >= 2 && a.affected.length === 1)!;
      await repository.upsertAdvisories(pypi.slice(0, 50).concat(original));
      const before = (await repository.counts()).advisories;
      const [droppedAlias, ...keptAliases] = original.aliases;
      const oldPackage = original.affected[0]!;
      const newer = republished(original, 1, {
        aliases: [...keptAliases, 'CVE-2099-0001'],
        affected: [{ ...oldPackage, name: 'Renamed_Package' }],
      });
      expect(await repository.upsertAdvisories([newer])).toEqual({ inserted: 0, updated: 1, unchanged: 0 });
      expect(await repository.advisoriesByAlias(original.id)).toEqual([newer]);
      expect(await repository.advisoriesByAlias('CVE-2099-0001')).toEqual([newer]);
      expect(await repository.advisoriesByAlias(droppedAlias!)).toEqual([]);
      expect(
        await repository.advisoriesForPackages([{ ecosystem: 'PyPI', name: 'renamed-package' }]),
      ).toEqual([newer]);
      const byOldName = await repository.advisoriesForPackages([
        { ecosystem: 'PyPI', name: oldPackage.name },
      ]);
      expect(byOldName.map((a) => a.id)).not.toContain(original.id);
      expect((await repository.counts()).advisories).toBe(before);
    });

    it('counts a mixed call exactly and keeps the newest of repeated ids in one call', async () => {
      await repository.upsertAdvisories(pypi.slice(0, 50));
      const mixed = [republished(pypi[1]!, -2), republished(pypi[2]!, 3), pypi[3]!, pypi[60]!];
      expect(await repository.upsertAdvisories(mixed)).toEqual({ inserted: 1, updated: 1, unchanged: 2 });
      const first = republished(pypi[4]!, 1, { summary: 'one day later' });
      const second = republished(pypi[4]!, 2, { summary: 'two days later' });
      expect(await repository.upsertAdvisories([second, first])).toEqual({
        inserted: 0,
        updated: 1,
        unchanged: 1,
      });
      expect((await repository.advisoriesByAlias(pypi[4]!.id))[0]!.summary).toBe('two days later');
    });

    it('stores the zero time Go writes for `modified`, and refuses a year the database cannot hold', async () => {
      expect(go.every((a) => a.modified === '0001-01-01T00:00:00Z')).toBe(true);
      await repository.upsertAdvisories(go.slice(0, 3));
      expect(await repository.advisoriesByAlias(go[0]!.id)).toEqual([go[0]]);
      const yearZero = republished(go[5]!, -1);
      const error = await rejection(repository.upsertAdvisories([yearZero]));
      expect(error.code).toBe('PW_ERR_INVALID_RECORD');
      expect(error.details).toMatchObject({ record: `osv:${yearZero.id}`, field: 'modified' });
    });

    it('lets content decide for records without a modification time (Go zero time)', async () => {
      await repository.upsertAdvisories(go.slice(0, 3));
      expect(await repository.upsertAdvisories(go.slice(0, 3))).toEqual({
        inserted: 0,
        updated: 0,
        unchanged: 3,
      });
      const corrected = { ...go[1]!, summary: 'corrected upstream' };
      expect(await repository.upsertAdvisories([corrected])).toEqual({
        inserted: 0,
        updated: 1,
        unchanged: 0,
      });
      expect(await repository.advisoriesByAlias(go[1]!.id)).toEqual([corrected]);
    });

    describe('a failing call leaves the store as it was', () => {
      async function snapshot(): Promise<unknown> {
        return { counts: await repository.counts(), first: await repository.advisoriesByAlias(go[0]!.id) };
      }

      /** 1,000 stored; then an update of go[0] (batch 1), 1,000 new ones, a bad one in batch 2. */
      function failingCall(bad: Advisory): Advisory[] {
        const next = go.slice(1000, 2000);
        next.splice(700, 0, bad);
        return [republished(go[0]!, 1, { summary: 'must not survive' }), ...next];
      }

      it('refuses a record that cannot be stored (NUL), naming it', async () => {
        await repository.upsertAdvisories(go.slice(0, 1000));
        const before = await snapshot();
        const bad = republished(go[2500]!, 0, { summary: 'NUL \u0000 inside' });
        const error = await rejection(repository.upsertAdvisories(failingCall(bad)));
        expect(error.code).toBe('PW_ERR_INVALID_RECORD');
        expect(error.details.record).toBe(`osv:${bad.id}`);
        expect(await snapshot()).toEqual(before);
      });

      it('rolls back the batches already written when the database refuses a later one', async () => {
        await repository.upsertAdvisories(go.slice(0, 1000));
        const before = await snapshot();
        // A lone surrogate passes JSON.stringify but not Postgres's jsonb input.
        const bad = republished(go[2500]!, 0, { details: 'lone surrogate \ud800 here' });
        const error = await rejection(repository.upsertAdvisories(failingCall(bad)));
        expect(error.code).toBe('PW_ERR_DATABASE');
        expect(error.details.record).toBe(`osv:${bad.id}`);
        expect(await snapshot()).toEqual(before);
        // And the store takes the same advisories once the bad one is gone.
        expect((await repository.upsertAdvisories(go.slice(1000, 2000))).inserted).toBe(1000);
      });
    });

    it('finds advisories by package, comparing names as the registry does', async () => {
      await repository.upsertAdvisories([...go, ...pypi]);
      const expected = (ecosystem: string, name: string): string[] =>
        [...go, ...pypi]
          .filter((a) =>
            a.affected.some(
              (p) =>
                p.ecosystem === ecosystem &&
                normalizePackageName(p.ecosystem, p.name) === normalizePackageName(ecosystem, name),
            ),
          )
          .map((a) => a.id)
          .sort();
      const ids = async (keys: { ecosystem: string; name: string }[]): Promise<string[]> =>
        (await repository.advisoriesForPackages(keys)).map((a) => a.id).sort();

      expect(await ids([{ ecosystem: 'PyPI', name: 'Django_Filter' }])).toEqual(
        expected('PyPI', 'django-filter'),
      );
      expect(expected('PyPI', 'jw.util').length).toBeGreaterThan(0);
      expect(await ids([{ ecosystem: 'PyPI', name: 'JW_Util' }])).toEqual(expected('PyPI', 'jw.util'));
      // Go module paths are case-sensitive.
      expect(await ids([{ ecosystem: 'Go', name: 'STDLIB' }])).toEqual([]);
      const both = await ids([
        { ecosystem: 'Go', name: 'stdlib' },
        { ecosystem: 'Go', name: 'golang.org/x/net' },
        { ecosystem: 'Go', name: 'stdlib' },
        { ecosystem: 'npm', name: 'stdlib' },
      ]);
      expect(both).toEqual(
        [...new Set([...expected('Go', 'stdlib'), ...expected('Go', 'golang.org/x/net')])].sort(),
      );
      // Every package of the PyPA database at once: every PyPA advisory, each once.
      const everyPypiKey = pypi.flatMap((a) =>
        a.affected.map((p) => ({ ecosystem: p.ecosystem, name: p.name })),
      );
      expect(await ids(everyPypiKey)).toEqual(pypi.map((a) => a.id).sort());
    });

    it('answers "which advisories are CVE-X" through aliases and own ids', async () => {
      await repository.upsertAdvisories([...go, ...pypi]);
      // bluemonday's CVE is published both by Go and by PyPA.
      const cve = 'CVE-2021-42576';
      const expected = [...go, ...pypi].filter((a) => a.aliases.includes(cve)).map((a) => a.id);
      expect(expected).toEqual(['GO-2022-0588', 'PYSEC-2021-849']);
      expect((await repository.advisoriesByAlias(cve)).map((a) => a.id)).toEqual(expected);
      // Twenty Go records list one alias twice (GO-2025-3828: CVE-2025-4674); stored once.
      expect((await repository.advisoriesByAlias('CVE-2025-4674')).map((a) => a.id)).toEqual([
        'GO-2025-3828',
      ]);
      expect((await repository.advisoriesByAlias(go[10]!.id)).map((a) => a.id)).toEqual([go[10]!.id]);
      expect(await repository.advisoriesByAlias('CVE-1900-0000')).toEqual([]);
    });
  });
}
