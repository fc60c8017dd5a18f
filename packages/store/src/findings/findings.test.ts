import { readFile } from 'node:fs/promises';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Advisory, InstalledPackage } from '@patchwarden/core';
import { AdvisoryIndex, matchPackages, schemeForEcosystem } from '@patchwarden/core';
import { parseInventoryFile } from '@patchwarden/inventory';
import { fixturePath, sharedDataPath } from '../../../../test-support/shared-data.ts';
import { AssetRepository } from '../assets/asset-repository.ts';
import type { Database } from '../database/open-database.ts';
import { openDatabase } from '../database/open-database.ts';
import { IntelRepository } from '../intel/intel-repository.ts';
import { fixtureAdvisories } from '../testing/feed-fixtures.ts';
import { BACKENDS, freshTarget } from '../testing/test-database.ts';
import type { TestTarget } from '../testing/test-database.ts';
import { FindingsService } from './compute-findings.ts';
import type { FindingQuery, StoredFinding } from './finding-repository.ts';
import { FindingRepository } from './finding-repository.ts';

const DAY = 86_400_000;
const T = (day: number): string => new Date(Date.UTC(2025, 0, 1) + day * DAY).toISOString();

const ALMA_9 = sharedDataPath('inventory/vuls-scan-results/alma_9.json');

let lodashAdvisory: Advisory[];
let minimistAdvisory: Advisory[];
let almaFeed: Advisory[];
let lockfilePackages: InstalledPackage[];
let minimistOnly: InstalledPackage[];

beforeAll(async () => {
  // Real GitHub advisories (CC-BY-4.0) and real lockfiles from Trivy and osv-scalibr (Apache-2.0).
  lodashAdvisory = await fixtureAdvisories('feeds/GHSA-jf85-cpcp-j695.json');
  minimistAdvisory = await fixtureAdvisories('feeds/GHSA-xvch-5gv4-984h.json');
  almaFeed = ALMA_9 ? await fixtureAdvisories('feeds/almalinux9-osv.jsonl.gz') : [];
  const pnpm = await parseInventoryFile(
    fixturePath('inventory/trivy-integration/lockfiles/pnpm/pnpm-lock.yaml'),
  );
  const yarn = await parseInventoryFile(
    fixturePath('inventory/lockfiles/osv-scalibr/yarnlock/commits.v1.lock'),
  );
  lockfilePackages = [...pnpm.packages, ...yarn.packages];
  minimistOnly = yarn.packages;
});

/** The same packages with `name` at `version`: what an upgrade (or a downgrade) leaves behind. */
function withVersion(
  packages: readonly InstalledPackage[],
  name: string,
  version: string,
): InstalledPackage[] {
  return packages.map((p) =>
    p.name === name ? { ...p, version, sourceVersion: p.sourceVersion && version } : p,
  );
}

for (const backend of BACKENDS) {
  describe(`findings on ${backend}`, () => {
    let target: TestTarget;
    let database: Database;
    let assets: AssetRepository;
    let findings: FindingRepository;
    let service: FindingsService;
    let intel: IntelRepository;
    beforeAll(async () => {
      target = await freshTarget(backend);
      database = await openDatabase(target.options);
      assets = new AssetRepository(database);
      findings = new FindingRepository(database);
      intel = new IntelRepository(database);
      service = new FindingsService(database);
      await intel.upsertAdvisories(lodashAdvisory);
    });
    afterAll(async () => {
      await database?.close();
      await target?.remove();
    });

    const everyFinding = async (query: FindingQuery): Promise<StoredFinding[]> => {
      const out: StoredFinding[] = [];
      let cursor: string | undefined;
      do {
        const page = await findings.list(query, { limit: 500, ...(cursor ? { cursor } : {}) });
        out.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      return out;
    };

    const newApp = async (name: string): Promise<string> =>
      (await assets.upsertFromReport({ source: 'sbom', facts: { name, kind: 'application' } }, T(0))).asset
        .id;

    it('opens findings with first_seen, keeps it across recomputes, fixes on upgrade, reopens on downgrade', async () => {
      const app = await newApp('trivy-pnpm-app');
      expect(lockfilePackages.find((p) => p.name === 'lodash')?.version).toBe('4.17.4');
      await assets.replaceInventory(app, lockfilePackages, T(1));
      const first = await service.recomputeFindings(app, T(1));
      expect(first).toMatchObject({ opened: 1, fixed: 0, reopened: 0, advisories: 1 });

      const [lodash] = (await findings.list({ assetId: app })).items;
      expect(lodash).toMatchObject({
        status: 'open',
        firstSeen: T(1),
        finding: {
          id: 'CVE-2019-10744',
          aliases: ['GHSA-jf85-cpcp-j695'],
          fixedVersion: '4.17.12',
          package: { ecosystem: 'npm', name: 'lodash', version: '4.17.4' },
        },
      });
      expect(lodash!.finding.evidence.map((e) => [e.advisoryId, e.range])).toEqual([
        ['GHSA-jf85-cpcp-j695', '>=0, <4.17.12'],
      ]);
      expect(lodash!.tupleId).toBeGreaterThan(0);
      expect(
        (await findings.list({ vulnerabilityId: 'GHSA-jf85-cpcp-j695' })).items.map((f) => f.id),
      ).toEqual([lodash!.id]);

      expect(await service.recomputeFindings(app, T(2))).toMatchObject({ opened: 0, unchanged: 1, fixed: 0 });
      expect((await findings.get(lodash!.id))!.firstSeen).toBe(T(1));

      await assets.replaceInventory(app, withVersion(lockfilePackages, 'lodash', '4.17.12'), T(3));
      expect(await service.recomputeFindings(app, T(3))).toMatchObject({ fixed: 1, opened: 0 });
      expect(await findings.get(lodash!.id)).toMatchObject({
        status: 'fixed',
        fixedAt: T(3),
        firstSeen: T(1),
        statusBy: 'system',
        statusReason: 'no longer detected',
      });
      expect(await findings.meanTimeToPatch({ assetIds: [app] })).toEqual({
        fixed: 1,
        meanDays: 2,
        medianDays: 2,
      });

      await assets.replaceInventory(app, lockfilePackages, T(4));
      expect(await service.recomputeFindings(app, T(4))).toMatchObject({ reopened: 1, opened: 0 });
      const reopened = (await findings.get(lodash!.id))!;
      expect(reopened).toMatchObject({ status: 'open', firstSeen: T(1), statusReason: 'detected again' });
      expect(reopened.fixedAt).toBeUndefined();

      // A risk acceptance survives recomputes; fixed_at still tells whether the package is there.
      await expect(findings.setStatus(lodash!.id, 'risk-accepted', 'alice', '', T(5))).rejects.toThrow(
        /needs a reason/,
      );
      expect(
        await findings.setStatus(lodash!.id, 'risk-accepted', 'alice', 'internal tool, no user input', T(5)),
      ).toMatchObject({ status: 'risk-accepted', statusBy: 'alice', statusAt: T(5) });
      await assets.replaceInventory(app, withVersion(lockfilePackages, 'lodash', '4.17.21'), T(6));
      await service.recomputeFindings(app, T(6));
      expect(await findings.get(lodash!.id)).toMatchObject({ status: 'risk-accepted', fixedAt: T(6) });
      await assets.replaceInventory(app, lockfilePackages, T(7));
      await service.recomputeFindings(app, T(7));
      const back = (await findings.get(lodash!.id))!;
      expect(back.status).toBe('risk-accepted');
      expect(back.fixedAt).toBeUndefined();
      expect(back.firstSeen).toBe(T(1));
    });

    it('keeps advisories indexed across recomputes until stored intel changes, in any process', async () => {
      const app = await newApp('generation-app');
      const lodashOnly = lockfilePackages.filter((p) => p.name === 'lodash');
      await assets.replaceInventory(app, lodashOnly, T(1));
      const own = new FindingsService(database);
      const first = await own.recomputeFindings(app, T(1));
      expect(first.advisories).toBeGreaterThan(0);
      // Storing the same advisories again changes nothing, so the generation stays.
      const before = await intel.generation();
      expect(await intel.upsertAdvisories(lodashAdvisory)).toMatchObject({ inserted: 0, updated: 0 });
      expect(await intel.generation()).toBe(before);
      // Another writer (as another process would) changes lodash's advisory: withdrawn now. The
      // service is not told; the generation moved, so it reloads and the finding is fixed.
      const withdrawn = lodashAdvisory.map((a) => ({
        ...a,
        modified: '2099-01-01T00:00:00Z',
        withdrawn: '2099-01-01T00:00:00Z',
      }));
      await new IntelRepository(database).upsertAdvisories(withdrawn);
      expect(await intel.generation()).toBeGreaterThan(before);
      const after = await own.recomputeFindings(app, T(2));
      expect(after).toMatchObject({ fixed: first.opened + first.reopened });
      expect((await findings.list({ assetId: app, status: 'open' })).items).toEqual([]);
      await intel.upsertAdvisories(
        lodashAdvisory.map((a) => ({ ...a, modified: '2099-02-01T00:00:00Z', withdrawn: undefined })),
      );
      expect((await own.recomputeFindings(app, T(3))).reopened).toBe(first.opened + first.reopened);
    });

    it('a match of a set that a newer upload replaced is superseded and changes nothing', async () => {
      const app = await newApp('superseded-app');
      const fixedLodash = withVersion(lockfilePackages, 'lodash', '4.17.12');
      const vulnerable = await assets.replaceInventory(app, lockfilePackages, T(1));
      const upgraded = await assets.replaceInventory(app, fixedLodash, T(2));
      expect(upgraded.setId).not.toBe(vulnerable.setId);
      // The first upload's recompute runs late: its set is no longer the asset's.
      expect(await service.recomputeFindings(app, T(2), { setId: vulnerable.setId })).toMatchObject({
        superseded: true,
        opened: 0,
      });
      expect((await findings.list({ assetId: app })).items).toEqual([]);
      const current = await service.recomputeFindings(app, T(2), { setId: upgraded.setId });
      expect(current).toMatchObject({ opened: 0, fixed: 0, unchanged: 0 });
      expect(current.superseded).toBeUndefined();

      await assets.replaceInventory(app, lockfilePackages, T(3));
      expect(await service.recomputeFindings(app, T(3), { setId: vulnerable.setId })).toMatchObject({
        opened: 1,
      });
      await assets.replaceInventory(app, fixedLodash, T(4));
      expect(await service.recomputeFindings(app, T(4), { setId: vulnerable.setId })).toMatchObject({
        superseded: true,
        fixed: 0,
      });
      expect((await findings.list({ assetId: app, status: 'open' })).items).toHaveLength(1);
      // An empty match with an open finding still fixes it; once fixed, an empty match keeps it.
      expect(await service.recomputeFindings(app, T(4), { setId: upgraded.setId })).toMatchObject({
        fixed: 1,
      });
      expect(await service.recomputeFindings(app, T(5))).toMatchObject({ fixed: 0, unchanged: 1 });
      expect((await findings.list({ assetId: app })).items.map((f) => [f.status, f.fixedAt])).toEqual([
        ['fixed', T(4)],
      ]);
    });

    it('an asset without an inventory is never recomputed into "all fixed"', async () => {
      const bare = await newApp('no-inventory-yet');
      expect(await service.recomputeFindings(bare, T(1))).toMatchObject({ opened: 0, fixed: 0 });
      expect((await findings.list({ assetId: bare })).items).toEqual([]);
    });

    it('recomputeForAdvisories finds the exposed assets through their tuples and matches each shared set once', async () => {
      const twins = [await newApp('yarn-app-a'), await newApp('yarn-app-b')];
      for (const id of twins) await assets.replaceInventory(id, minimistOnly, T(1));
      // Matched before any advisory names minimist: the service remembers its tuples as named by
      // none, which must hold for this intel generation only.
      expect(await service.recomputeFindings(twins[0]!, T(1))).toMatchObject({ findings: 0, advisories: 0 });
      const bystander = await newApp('pnpm-only');
      await assets.replaceInventory(
        bystander,
        lockfilePackages.filter((p) => p.name === 'lodash'),
        T(1),
      );
      await intel.upsertAdvisories(minimistAdvisory);

      const result = await service.recomputeForAdvisories(minimistAdvisory, T(8));
      const exposed = result.results.map((r) => r.assetId);
      expect(exposed).toEqual(expect.arrayContaining(twins));
      expect(exposed).not.toContain(bystander);
      // The twins share one package set: two assets, one match.
      const twinSets = new Set(result.results.filter((r) => twins.includes(r.assetId)).map((r) => r.setId));
      expect(twinSets.size).toBe(1);
      expect(result.sets).toBe(new Set(result.results.map((r) => r.setId)).size);
      for (const id of twins) {
        const [minimist] = (await findings.list({ assetId: id, status: 'open' })).items;
        expect(minimist).toMatchObject({
          firstSeen: T(8),
          finding: { package: { name: 'minimist', version: '0.0.8' } },
        });
        expect(minimist!.finding.fixedVersion).toBe('0.2.4');
      }
      const page1 = await findings.list(
        { severity: ['critical', 'high', 'medium', 'low', 'unknown', 'negligible'] },
        { limit: 2 },
      );
      expect(page1.items).toHaveLength(2);
      const page2 = await findings.list({}, { limit: 1000, cursor: page1.nextCursor! });
      expect(page2.items[0]!.id).toBeGreaterThan(page1.items[1]!.id);
      expect(await findings.setStatus(999_999, 'open', 'bob', undefined, T(9))).toBeUndefined();
      await expect(
        findings.setStatus(page1.items[0]!.id, 'closed' as never, 'bob', 'x', T(9)),
      ).rejects.toMatchObject({
        code: 'PW_ERR_INVALID_RECORD',
      });
    });

    describe.skipIf(!ALMA_9)('a real AlmaLinux 9.0 host against the real AlmaLinux 9 OSV feed', () => {
      it('stores what the core matches, closes what an upgrade to the fixed versions fixes', async () => {
        expect(almaFeed).toHaveLength(1783);
        await intel.upsertAdvisories(almaFeed);
        const fragment = await parseInventoryFile(ALMA_9!);
        const { asset } = await assets.upsertFromReport(
          {
            source: 'agent',
            facts: {
              hostname: fragment.host!.hostname!,
              ips: fragment.host!.ips ?? [],
              os: { id: 'almalinux', versionId: '9.0', ecosystem: 'AlmaLinux:9' },
            },
          },
          T(10),
        );
        await assets.replaceInventory(asset.id, fragment.packages, T(10));
        const first = await service.recomputeFindings(asset.id, T(10));

        // The store holds exactly what the core matches in memory (one per vulnerability and package).
        const expected = matchPackages(fragment.packages, AdvisoryIndex.from(almaFeed)).findings;
        const keys = new Set(expected.map((f) => `${f.id} ${f.package.name}`));
        const stored = await everyFinding({ assetId: asset.id });
        expect(new Set(stored.map((f) => `${f.finding.id} ${f.finding.package.name}`))).toEqual(keys);
        expect(first.opened).toBe(keys.size);
        expect(first.advisories).toBeLessThan(almaFeed.length);
        expect(stored.every((f) => f.status === 'open' && f.firstSeen === T(10))).toBe(true);
        // Matched again, by a service that has kept nothing: every finding compares equal, none is rewritten.
        expect(await new FindingsService(database).recomputeFindings(asset.id, T(11))).toMatchObject({
          unchanged: keys.size,
          updated: 0,
          opened: 0,
          fixed: 0,
        });

        // Patch: every package with a fix moves to the highest fixed version its findings name.
        const rpm = schemeForEcosystem('AlmaLinux:9')!;
        const target = new Map<string, string>();
        for (const f of stored) {
          const fixed = f.finding.fixedVersion;
          if (fixed === undefined) continue;
          const current = target.get(f.finding.package.name);
          if (current === undefined || rpm.compare(fixed, current) > 0)
            target.set(f.finding.package.name, fixed);
        }
        let patched = fragment.packages;
        for (const [name, version] of target) patched = withVersion(patched, name, version);
        const withFix = stored.filter((f) => f.finding.fixedVersion !== undefined);
        await assets.replaceInventory(asset.id, patched, T(20));
        const second = await service.recomputeFindings(asset.id, T(20));
        expect(second).toMatchObject({ fixed: withFix.length, opened: 0, reopened: 0 });
        const nowFixed = await everyFinding({ assetId: asset.id, status: 'fixed' });
        expect(nowFixed.map((f) => f.id).sort()).toEqual(withFix.map((f) => f.id).sort());
        expect(
          nowFixed.every((f) => f.fixedAt === T(20) && f.firstSeen === T(10) && f.statusBy === 'system'),
        ).toBe(true);
        const stillOpen = await everyFinding({ assetId: asset.id, status: 'open' });
        expect(stillOpen.map((f) => f.id).sort()).toEqual(
          stored
            .filter((f) => f.finding.fixedVersion === undefined)
            .map((f) => f.id)
            .sort(),
        );
        const mttp = await findings.meanTimeToPatch({ assetIds: [asset.id] });
        expect(mttp).toEqual({ fixed: withFix.length, meanDays: 10, medianDays: 10 });

        // Vuls recorded the update the host's repositories offered when scanned: a cross-check
        // of the fixed versions, from the other side. The feed is a later snapshot, so some fixes
        // came after the scan; a few were published before it but had not reached the mirror.
        const scan = JSON.parse(await readFile(ALMA_9!, 'utf8')) as {
          scannedAt: string;
          packages: Record<string, { newVersion: string; newRelease: string }>;
        };
        const published = new Map(almaFeed.map((a) => [a.id, a.published ?? a.modified]));
        let covered = 0;
        const lagging: string[] = [];
        for (const [name, fixed] of target) {
          const next = scan.packages[name]!;
          const available = `${next.newVersion}-${next.newRelease}`;
          if (rpm.compare(available, fixed) >= 0) {
            covered++;
            continue;
          }
          const demanding = stored
            .filter(
              (f) => f.finding.package.name === name && rpm.compare(f.finding.fixedVersion!, available) > 0,
            )
            .flatMap((f) => f.finding.evidence.map((e) => published.get(e.advisoryId)!));
          if (!demanding.some((date) => Date.parse(date) > Date.parse(scan.scannedAt))) lagging.push(name);
        }
        console.log(
          `[findings] alma 9.0 (${backend}): ${first.findings} matches -> ${keys.size} findings from ${first.advisories} ` +
            `advisories; ${withFix.length} fixed by upgrading ${target.size} packages, ${stillOpen.length} without a fix stay open; ` +
            `the update Vuls saw on ${scan.scannedAt.slice(0, 10)} carries the fix for ${covered}/${target.size} packages, ` +
            `${lagging.length} lag a fix published before the scan (${lagging.slice(0, 4).join(', ')}...)`,
        );
        expect(keys.size).toBeGreaterThan(500);
        expect(covered).toBeGreaterThan(target.size / 2);
        expect(lagging.length).toBeLessThan(target.size - covered);

        // Nothing changes on a recompute of the same inventory; first_seen never moves.
        expect(await service.recomputeFindings(asset.id, T(21))).toMatchObject({
          opened: 0,
          fixed: 0,
          reopened: 0,
          updated: 0,
        });
        const { rows } = await sql<{ n: number }>`select count(*) as n from findings
          where asset_id = ${asset.id}::uuid and first_seen <> ${T(10)}::timestamptz`.execute(database.db);
        expect(rows[0]!.n).toBe(0);
      });
    });
  });
}
