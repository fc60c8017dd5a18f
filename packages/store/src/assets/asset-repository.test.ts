import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Asset, AssetFacts, InstalledPackage } from '@patchwarden/core';
import {
  driftReport,
  formatAssetFilter,
  matchesAsset,
  parseAssetFilter,
  PatchwardenError,
} from '@patchwarden/core';
import { parseAssetCsv, parseInventoryFile } from '@patchwarden/inventory';
import { fixturePath, sharedDataPath } from '../../../../test-support/shared-data.ts';
import type { Database } from '../database/open-database.ts';
import { openDatabase } from '../database/open-database.ts';
import { BACKENDS, freshTarget } from '../testing/test-database.ts';
import type { TestTarget } from '../testing/test-database.ts';
import { assetFilterWhere } from './asset-filter-sql.ts';
import { AssetRepository } from './asset-repository.ts';
import { canonicalSet } from './inventory-sets.ts';

const NOW = '2025-03-01T00:00:00.000Z';
const DAY = 86_400_000;
const daysAgo = (days: number): string => new Date(Date.parse(NOW) - days * DAY).toISOString();

const VULS = 'inventory/vuls-scan-results';
const VULS_HOSTS = [
  'alma_8',
  'alma_9',
  'alpine_319',
  'debian_11',
  'debian_12',
  'rhel_90',
  'rocky_9',
  'ubuntu_1804',
  'ubuntu_2004',
  'ubuntu_2204',
  'ubuntu_2404',
];

interface RealHost {
  name: string;
  facts: AssetFacts;
  packages: InstalledPackage[];
}

/** Real Vuls scans (../shared/data; no licence stated, so never committed), when present. */
async function vulsHosts(): Promise<RealHost[]> {
  const hosts: RealHost[] = [];
  for (const name of VULS_HOSTS) {
    const path = sharedDataPath(`${VULS}/${name}.json`);
    if (!path) continue;
    const fragment = await parseInventoryFile(path);
    const ecosystem = fragment.packages.find((p) => p.ecosystem)?.ecosystem;
    const os: NonNullable<AssetFacts['os']> = { id: fragment.os!.id };
    if (fragment.os!.versionId !== undefined) os.versionId = fragment.os!.versionId;
    if (ecosystem !== undefined) os.ecosystem = ecosystem;
    const facts: AssetFacts = { hostname: fragment.host!.hostname!, ips: fragment.host!.ips ?? [], os };
    if (fragment.host!.kernel !== undefined) facts.kernel = fragment.host!.kernel;
    hosts.push({ name, facts, packages: fragment.packages });
  }
  return hosts;
}

/** The committed real dpkg status of an Ubuntu 18.04 image (Trivy's test data, Apache-2.0). */
async function bionicImage(): Promise<InstalledPackage[]> {
  const fragment = await parseInventoryFile(fixturePath('inventory/dpkg/trivy-ubuntu1804-status'));
  return fragment.packages.map((p) => ({ ...p, ecosystem: 'Ubuntu:18.04:LTS' }));
}

/** What a set keeps of a package (see inventory-sets.ts): everything but the line in its file. */
function asStored(packages: readonly InstalledPackage[]): string[] {
  return [
    ...new Set(
      packages.map((p) => {
        const copy: InstalledPackage = { ...p };
        if (p.location) copy.location = { file: p.location.file };
        else delete copy.location;
        return JSON.stringify(Object.fromEntries(Object.entries(copy).sort(([a], [b]) => (a < b ? -1 : 1))));
      }),
    ),
  ].sort();
}

// A network team's export: switches, cameras, handhelds; one name shared with an agent host.
const NETWORK_CSV = `name,kind,hostname,fqdn,ips,macs,os,os_version,environment,business_impact,exposure,data_sensitivity,owner_team,services,location,time_zone,tags
core-sw-01,network-device,core-sw-01,core-sw-01.net.example.com,10.0.0.1,00:1f:3c:87:66:50,junos,21.4R3,production,5,internal,internal,network,core-routing,FRA2 rack 12,Europe/Berlin,pci;core
edge-fw-01,security-appliance,edge-fw-01,edge-fw-01.net.example.com,203.0.113.10,6c:2e:85:19:af:00,panos,11.0,production,5,internet,restricted,secops,perimeter,FRA2 rack 1,Europe/Berlin,pci
lobby camera,iot-device,,,10.20.0.5;10.20.0.6,c0:63:94:05:01:03,,,office,2,isolated,public,facilities,,Lobby,Europe/Berlin,camera
scanner-12,handheld,,,192.168.7.12,,android,14,production,3,internal,confidential,logistics,,Warehouse 3,America/Chicago,
scanner-13,handheld,,,192.168.7.13,,android,13,staging,1,internal,confidential,logistics,,Warehouse 3,America/Chicago,legacy
payments-db,server,pay-db-01,pay-db-01.prod.example.com,10.1.0.20,,ubuntu,22.04,production,5,internal,restricted,payments,checkout;ledger,FRA2,Europe/Berlin,pci
`;

for (const backend of BACKENDS) {
  describe(`AssetRepository on ${backend}`, () => {
    let target: TestTarget;
    let database: Database;
    let assets: AssetRepository;
    beforeAll(async () => {
      target = await freshTarget(backend);
      database = await openDatabase(target.options);
      assets = new AssetRepository(database);
    });
    afterAll(async () => {
      await database?.close();
      await target?.remove();
    });

    const count = async (
      table: 'assets' | 'inventory_sets' | 'package_tuples' | 'asset_sources',
    ): Promise<number> =>
      (await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(database.db)).rows[0]!
        .n;

    const all = async (): Promise<Asset[]> => {
      const out: Asset[] = [];
      let cursor: string | undefined;
      do {
        const page = await assets.list(
          { terms: [] },
          { now: NOW, limit: 1000, ...(cursor ? { cursor } : {}) },
        );
        out.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      return out;
    };

    it('merges an agent, a scanner and a CSV row into one asset, recording each rule and the trust table', async () => {
      const agent = await assets.upsertFromReport(
        {
          source: 'agent',
          facts: {
            hostname: 'web-01',
            fqdn: 'web-01.prod.example.com',
            ips: ['10.1.0.11'],
            macs: ['52:54:00:12:34:56'],
            os: { id: 'ubuntu', versionId: '22.04', ecosystem: 'Ubuntu:22.04:LTS' },
            kernel: '5.15.0-69-generic',
            environment: 'prod',
            rebootRequired: true,
          },
          reportedAt: daysAgo(3),
        },
        NOW,
      );
      expect(agent).toMatchObject({ rule: 'none', created: true });
      expect(agent.asset).toMatchObject({
        name: 'web-01',
        kind: 'server',
        sources: ['agent'],
        rebootRequired: true,
      });

      const scanner = await assets.upsertFromReport(
        {
          source: 'scanner',
          facts: { ips: ['10.1.0.11'], macs: ['52-54-00-12-34-56'], os: { id: 'linux' } },
          reportedAt: daysAgo(2),
        },
        NOW,
      );
      expect(scanner).toMatchObject({ rule: 'mac', created: false });
      expect(scanner.asset.id).toBe(agent.asset.id);
      // The agent's OS stands against the scanner's guess.
      expect(scanner.asset.os).toEqual({ id: 'ubuntu', versionId: '22.04', ecosystem: 'Ubuntu:22.04:LTS' });

      const csv = parseAssetCsv(
        'name,fqdn,environment,owner_team,business_impact,os,os_version,tags\n' +
          'Web frontend 1,WEB-01.prod.example.com,production,web,4,ubuntu,20.04,pci\n',
        'cmdb.csv',
      );
      const imported = await assets.importAssets(csv, 'csv', NOW);
      expect(imported).toEqual({
        created: 0,
        merged: 1,
        rows: [{ line: 2, assetId: agent.asset.id, rule: 'fqdn', created: false }],
      });
      const merged = (await assets.get(agent.asset.id))!;
      expect(merged).toMatchObject({
        name: 'Web frontend 1',
        environment: 'production',
        ownerTeam: 'web',
        businessImpact: 4,
        os: { id: 'ubuntu', versionId: '22.04' },
        tags: ['pci'],
        sources: ['agent', 'scanner', 'csv'],
        firstSeen: daysAgo(3),
        lastSeen: NOW,
      });
      expect(await assets.provenanceOf(agent.asset.id)).toMatchObject({
        os: 'agent',
        environment: 'csv',
        ownerTeam: 'csv',
        name: 'csv',
        kernel: 'agent',
      });
      expect((await assets.sourcesOf(agent.asset.id)).map((s) => [s.source, s.rule])).toEqual([
        ['agent', 'none'],
        ['scanner', 'mac'],
        ['csv', 'fqdn'],
      ]);

      // A manual edit wins over every source; clearing removes the value.
      const edited = await assets.update(agent.asset.id, {
        ownerTeam: 'platform',
        location: null,
        tags: ['pci', 'tier-1'],
      });
      expect(edited).toMatchObject({ ownerTeam: 'platform', tags: ['pci', 'tier-1'] });
      await assets.importAssets(
        parseAssetCsv('fqdn,owner_team\nweb-01.prod.example.com,web\n', 'again.csv'),
        'csv',
        NOW,
      );
      expect((await assets.get(agent.asset.id))!.ownerTeam).toBe('platform');
      expect(await assets.update('00000000-0000-4000-8000-000000000000', { ownerTeam: 'x' })).toBeUndefined();
      await expect(assets.update(agent.asset.id, { name: null })).rejects.toThrow(/name cannot be cleared/);
      await expect(assets.update(agent.asset.id, { businessImpact: 9 as never })).rejects.toMatchObject({
        code: 'PW_ERR_INVALID_RECORD',
      });
    });

    it('a CSV with one bad row writes nothing and names the line; fixed, it imports every row', async () => {
      const before = await count('assets');
      const sourcesBefore = await count('asset_sources');
      const bad = NETWORK_CSV.replace(
        'scanner-13,handheld,,,192.168.7.13',
        'scanner-13,handheld,,,192.168.7.313',
      );
      const error = await assets.importAssets(parseAssetCsv(bad, 'network.csv'), 'csv', NOW).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(PatchwardenError);
      expect((error as PatchwardenError).message).toBe(
        'network.csv:6: ips (column 5): "192.168.7.313" is not an IPv4 or IPv6 address; nothing was imported',
      );
      expect((error as PatchwardenError).details).toMatchObject({
        file: 'network.csv',
        line: 6,
        column: 5,
        field: 'ips',
      });
      expect(await count('assets')).toBe(before);
      expect(await count('asset_sources')).toBe(sourcesBefore);

      const result = await assets.importAssets(parseAssetCsv(NETWORK_CSV, 'network.csv'), 'csv', NOW);
      expect(result.created).toBe(6);
      expect(result.rows.map((r) => r.line)).toEqual([2, 3, 4, 5, 6, 7]);
      expect(await count('assets')).toBe(before + 6);
      // Importing the same list again merges every row into what it created.
      const again = await assets.importAssets(parseAssetCsv(NETWORK_CSV, 'network.csv'), 'csv', NOW);
      expect(again.created).toBe(0);
      // The handhelds have no host name or MAC in the list: their address, within their environment.
      expect(again.rows.map((r) => r.rule)).toEqual(['fqdn', 'fqdn', 'mac', 'ip', 'ip', 'fqdn']);
      expect(again.rows.map((r) => r.assetId)).toEqual(result.rows.map((r) => r.assetId));
    });

    it.skipIf(!sharedDataPath(`${VULS}/alma_9.json`))(
      'real hosts sharing the VirtualBox NAT address stay distinct assets',
      async () => {
        const hosts = await vulsHosts();
        const ids = new Set<string>();
        for (const host of hosts) {
          const result = await assets.upsertFromReport(
            { source: 'agent', facts: { ...host.facts, environment: 'lab' }, reportedAt: daysAgo(1) },
            NOW,
          );
          expect(result.rule).toBe('none');
          ids.add(result.asset.id);
        }
        const sharing = hosts.filter((h) => h.facts.ips!.includes('10.0.2.15')).length;
        console.log(
          `[assets] ${hosts.length} real Vuls hosts -> ${ids.size} assets (${sharing} share 10.0.2.15)`,
        );
        expect(ids.size).toBe(hosts.length);
        expect(sharing).toBeGreaterThan(1);
      },
    );

    it('content-addresses inventories: two hosts from one image share one set; packages read back exactly', async () => {
      const image = await bionicImage();
      const a = await assets.upsertFromReport({ source: 'agent', facts: { hostname: 'bionic-a' } }, NOW);
      const b = await assets.upsertFromReport({ source: 'agent', facts: { hostname: 'bionic-b' } }, NOW);
      const setsBefore = await count('inventory_sets');
      const first = await assets.replaceInventory(a.asset.id, image, daysAgo(1));
      // Same packages listed in another order (a rewritten status file) are the same set.
      const second = await assets.replaceInventory(b.asset.id, [...image].reverse(), daysAgo(1), {
        reportedHash: 'sha256:agent-computed',
      });
      expect(first).toMatchObject({ reused: false, changed: true, applied: true, packages: 90 });
      expect(second).toMatchObject({
        setId: first.setId,
        reused: true,
        changed: true,
        applied: true,
        newTuples: 0,
      });
      expect(await count('inventory_sets')).toBe(setsBefore + 1);
      expect(asStored(await assets.packagesOf(b.asset.id))).toEqual(asStored(image));
      expect((await assets.inventoryOf(b.asset.id))!.hash).toBe('sha256:agent-computed');
      expect((await assets.get(a.asset.id))!.inventoryAt).toBe(daysAgo(1));

      // An older report never replaces a newer one; the same one again changes nothing.
      const older = await assets.replaceInventory(a.asset.id, image.slice(1), daysAgo(2));
      expect(older).toMatchObject({ applied: false, changed: false });
      expect(await assets.replaceInventory(a.asset.id, image, NOW)).toMatchObject({
        reused: true,
        changed: false,
      });

      // 90 binary packages, matched as their source packages: fewer tuples than packages.
      const tuples = (await assets.tuplesForAssets([a.asset.id, b.asset.id])).get(a.asset.id)!;
      expect(tuples.length).toBe(
        new Set(image.map((p) => `${p.sourceName ?? p.name}@${p.sourceVersion ?? p.version}`)).size,
      );
      expect(tuples.length).toBeLessThan(90);
      expect((await assets.tuplesForAssets([b.asset.id])).get(b.asset.id)).toEqual(tuples);
    });

    it('stores every real lockfile and dpkg fixture and reads each back as parsed', async () => {
      const files: string[] = [];
      for (const dir of [
        'inventory/dpkg',
        'inventory/lockfiles/osv-scalibr/packagelockjson',
        'inventory/lockfiles/osv-scalibr/pnpmlock',
        'inventory/lockfiles/osv-scalibr/yarnlock',
      ]) {
        for (const name of readdirSync(fixturePath(dir))) files.push(join(fixturePath(dir), name));
      }
      let stored = 0;
      let packages = 0;
      for (const [i, file] of files.entries()) {
        const fragment = await parseInventoryFile(file).catch(() => undefined);
        if (!fragment) continue; // not-json.txt and friends: invalid on purpose
        const { asset } = await assets.upsertFromReport(
          { source: 'sbom', facts: { name: `app-${i}`, kind: 'application' } },
          NOW,
        );
        const result = await assets.replaceInventory(asset.id, fragment.packages, NOW);
        expect(result.setHash).toBe(canonicalSet(fragment.packages).hash);
        expect(asStored(await assets.packagesOf(asset.id)), file).toEqual(asStored(fragment.packages));
        stored++;
        packages += fragment.packages.length;
      }
      console.log(
        `[assets] ${stored} of ${files.length} real inventory fixtures stored and read back (${packages} packages)`,
      );
      expect(stored).toBeGreaterThan(35);
    });

    it('lists by filter in SQL exactly as the core evaluates it, page by page', async () => {
      // Give the fleet inventories of various ages so that stale/unknown have something to select.
      const hosts = await vulsHosts();
      const fleet = await all();
      const byHostname = new Map(fleet.filter((a) => a.hostname).map((a) => [a.hostname!, a]));
      for (const [i, host] of hosts.entries()) {
        await assets.replaceInventory(
          byHostname.get(host.facts.hostname!)!.id,
          host.packages,
          daysAgo(i % 3 === 0 ? 30 : 1),
        );
      }
      const everything = await all();
      expect(everything.length).toBeGreaterThanOrEqual(10);
      const filters = [
        '',
        'env:production',
        'env:prod*',
        '-env:production',
        'env:production|office',
        'kind:server',
        'kind:network-device|iot-device|handheld',
        'impact>=4',
        'impact<3',
        '-impact>=4',
        'impact:2|5',
        'os:ubuntu',
        'os:ubuntu-22',
        'os:debian-12',
        'os:alma*',
        'os:android-1*',
        'name:*-01',
        'name:"lobby camera"',
        'name:LOBBY*',
        'tag:pci',
        '-tag:pci',
        'team:*',
        '-team:*',
        'service:checkout',
        'ip:10.0.0.0/8',
        'ip:192.168.*',
        'ip:10.20.0.5',
        'ip:fd17:625c:f037:2:a00:27ff:fe8d:c04d',
        'mac:6C-2E-85-19-AF-00',
        'mac:c0:63:*',
        'source:agent',
        'source:csv -source:agent',
        'hidden:true',
        'stale:true',
        'unknown:true',
        'unknown:false stale:false',
        'reboot:true',
        'exposure:internet',
        'sensitivity:restricted|confidential',
        'location:fra*',
        'tz:Europe/*',
        'fqdn:*.example.com',
        'hostname:alma*|rocky*',
        'env:lab os:ubuntu -os:ubuntu-18 stale:false',
        'kind:handheld tag:legacy',
      ];
      const context = { now: NOW, staleAfterDays: 7 };
      let selected = 0;
      for (const text of filters) {
        const filter = parseAssetFilter(text);
        const expected = everything.filter((a) => matchesAsset(filter, a, context)).map((a) => a.id);
        // SQL alone (no re-check in JS) must select exactly what the core selects.
        const { rows } = await sql<{
          id: string;
        }>`select a.id from assets a where ${assetFilterWhere(filter, context)}
          order by a.name collate "C", a.id`.execute(database.db);
        expect(
          rows.map((r) => r.id),
          text,
        ).toEqual(expected);
        // And the paged list returns the same, 4 at a time.
        const paged: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await assets.list(parseAssetFilter(formatAssetFilter(filter)), {
            now: NOW,
            limit: 4,
            ...(cursor ? { cursor } : {}),
          });
          paged.push(...page.items.map((a) => a.id));
          cursor = page.nextCursor;
        } while (cursor);
        expect(paged, text).toEqual(expected);
        selected += expected.length;
      }
      const one = (text: string): number =>
        everything.filter((a) => matchesAsset(parseAssetFilter(text), a, context)).length;
      expect(one('name:"lobby camera"')).toBe(1);
      expect(one('hidden:true')).toBe(6);
      expect(one('impact>=4')).toBeGreaterThanOrEqual(4);
      if (hosts.length > 0) {
        expect(one('stale:true')).toBe(hosts.filter((_, i) => i % 3 === 0).length);
        expect(one('os:alma*')).toBe(2);
      }
      console.log(
        `[assets] ${filters.length} filters over ${everything.length} assets, ${selected} selections agreed (SQL = core)`,
      );
      await expect(assets.list({ terms: [] }, { now: NOW, cursor: 'bogus' })).rejects.toMatchObject({
        code: 'PW_ERR_BAD_REQUEST',
      });
    });

    it('drift report over the real inventories read back from the store', async () => {
      const hosts = await vulsHosts();
      const fleet = await all();
      const withPackages = [];
      for (const asset of fleet) {
        const packages = await assets.packagesOf(asset.id);
        if (packages.length > 0) withPackages.push({ asset, packages });
      }
      // The 2019 Ubuntu 18.04 image (committed) next to the 2023 Ubuntu 18.04 host (shared data).
      const bionic = fleet.find((a) => a.hostname === 'ubuntu_1804');
      if (bionic) {
        for (const hostname of ['bionic-a', 'bionic-b']) {
          const image = fleet.find((a) => a.hostname === hostname)!;
          await assets.update(image.id, { os: { id: 'ubuntu', versionId: '18.04' } });
          withPackages.find((w) => w.asset.id === image.id)!.asset = (await assets.get(image.id))!;
        }
      }
      const report = driftReport(withPackages.map(({ asset, packages }) => ({ asset, packages })));
      console.log(
        `[drift] ${report
          .filter((g) => g.drifting.length > 0)
          .map(
            (g) =>
              `${g.os}: ${g.assets} assets, ${g.drifting.length} of ${g.packages} packages in several versions`,
          )
          .join('; ')} (${report.length} OS groups)`,
      );
      if (hosts.length === 0 || !bionic) {
        expect(report.length).toBeGreaterThan(0);
        return;
      }
      const ubuntu1804 = report.find((g) => g.os === 'ubuntu-18.04')!;
      expect(ubuntu1804.assets).toBe(3);
      const libc = ubuntu1804.drifting.find((d) => d.name === 'libc6')!;
      expect(libc.versions.length).toBeGreaterThanOrEqual(2);
      // bionic-a and bionic-b share the image's libc6; the 2023 host runs a newer one alone.
      expect(libc.versions[0]!.assets.length).toBe(2);
      expect(libc.minority).toEqual([{ assetId: bionic.id, versions: [libc.versions[1]!.version] }]);
      for (const group of report.filter((g) => g.assets === 1)) expect(group.drifting).toEqual([]);
    });
  });
}
