/**
 * Real host inventories against real distro feeds, with the distro's own tool as the oracle of
 * version order: every (advisory, package) pair we report must be exactly the pairs where the
 * installed version sorts before the fix according to rpm or dpkg themselves.
 */
import { describe, expect, it } from 'vitest';
import type { Advisory, HostInventory, InventoryFragment } from '@patchwarden/core';
import {
  AdvisoryIndex,
  assembleHost,
  matchPackages,
  matchTargetOf,
  normalizePackageName,
} from '@patchwarden/core';
import { IntelStore, importFeeds } from '@patchwarden/feeds';
import { parseInventoryFile } from '@patchwarden/inventory';
import { dpkgLessThan, rpmAvailable, rpmVercmp } from '../../../../test-support/oracles.ts';
import { sharedDataPath } from '../../../../test-support/shared-data.ts';

async function load(
  feed: string,
  inventory: string,
  extra: InventoryFragment[] = [],
): Promise<{ advisories: Advisory[]; host: HostInventory }> {
  const store = new IntelStore();
  const statuses = await importFeeds(store, [feed]);
  expect(statuses.every((s) => s.ok)).toBe(true);
  const host = assembleHost([await parseInventoryFile(inventory), ...extra], inventory);
  return { advisories: [...store.advisories()], host };
}

interface Candidate {
  pair: string;
  installed: string;
  fixed: string | undefined;
}

/** Every (advisory, installed package) whose names line up, with the fix to compare against. */
function candidates(advisories: readonly Advisory[], host: HostInventory): Candidate[] {
  const byName = new Map<string, { advisory: Advisory; fixed: string | undefined }[]>();
  for (const advisory of advisories) {
    for (const affected of advisory.affected) {
      if (affected.ecosystem !== host.osEcosystem) continue;
      const events = affected.ranges.flatMap((r) => r.events);
      const fixed = events.map((e) => ('fixed' in e ? e.fixed : undefined)).find((v) => v !== undefined);
      // These feeds only write "introduced 0 [+ fixed]"; anything else would need the full
      // OSV evaluation, which is what is under test.
      expect(events.every((e) => ('introduced' in e && e.introduced === '0') || 'fixed' in e)).toBe(true);
      const key = normalizePackageName(affected.ecosystem, affected.name);
      let list = byName.get(key);
      if (!list) byName.set(key, (list = []));
      list.push({ advisory, fixed });
    }
  }
  const out: Candidate[] = [];
  for (const pkg of host.packages) {
    if (!pkg.ecosystem) continue;
    const target = matchTargetOf({ ...pkg, ecosystem: pkg.ecosystem });
    for (const { advisory, fixed } of byName.get(normalizePackageName(target.ecosystem, target.name)) ?? []) {
      out.push({ pair: `${advisory.id} ${pkg.name}`, installed: target.version, fixed });
    }
  }
  return out;
}

function diff(ours: Set<string>, expected: Set<string>): { extra: string[]; missing: string[] } {
  return {
    extra: [...ours].filter((p) => !expected.has(p)).slice(0, 10),
    missing: [...expected].filter((p) => !ours.has(p)).slice(0, 10),
  };
}

function ourPairs(advisories: readonly Advisory[], host: HostInventory): Set<string> {
  const report = matchPackages(host.packages, AdvisoryIndex.from(advisories));
  return new Set(report.findings.flatMap((f) => f.evidence.map((e) => `${e.advisoryId} ${f.package.name}`)));
}

const alma = {
  feed: sharedDataPath('osv-distro/almalinux9-osv.jsonl'),
  inventory: sharedDataPath('inventory/vuls-scan-results/alma_9.json'),
};

describe.skipIf(!alma.feed || !alma.inventory)(
  'AlmaLinux 9 host x complete AlmaLinux 9 OSV feed (rpm oracle)',
  () => {
    it('reports exactly the pairs where rpm.vercmp(installed, fixed) < 0', async () => {
      expect(rpmAvailable(), 'rpm is needed as the oracle: apt-get install rpm').toBe(true);
      const { advisories, host } = await load(alma.feed!, alma.inventory!);
      expect(host.osEcosystem).toBe('AlmaLinux:9');
      expect(advisories.length).toBe(1783);
      const all = candidates(advisories, host);
      const withFix = all.filter((c) => c.fixed !== undefined);
      const verdicts = rpmVercmp(withFix.map((c) => [c.installed, c.fixed!] as const));
      const expected = new Set([
        ...withFix.filter((_, i) => verdicts[i] === -1).map((c) => c.pair),
        ...all.filter((c) => c.fixed === undefined).map((c) => c.pair),
      ]);
      const ours = ourPairs(advisories, host);
      console.log(`alma 9: ${all.length} candidate pairs checked by rpm, ${expected.size} affected`);
      expect(expected.size).toBeGreaterThan(500);
      expect(JSON.stringify(diff(ours, expected))).toBe(JSON.stringify({ extra: [], missing: [] }));
      expect(ours.size).toBe(expected.size);
    });
  },
);

const bionic = {
  feed: sharedDataPath('advisories-ubuntu-uct/ubuntu-cve-tracker-active-2020-06-18.tar.gz'),
  inventory: sharedDataPath('inventory/vuls-scan-results/ubuntu_1804.json'),
};

describe.skipIf(!bionic.feed || !bionic.inventory)(
  'Ubuntu 18.04 host x Ubuntu CVE Tracker (dpkg oracle)',
  () => {
    it('matches by source package and dpkg order, open CVEs without a fix', async () => {
      const { advisories, host } = await load(bionic.feed!, bionic.inventory!);
      expect(host.osEcosystem).toBe('Ubuntu:18.04:LTS');
      const all = candidates(advisories, host);
      const withFix = all.filter((c) => c.fixed !== undefined);
      const verdicts = dpkgLessThan(withFix.map((c) => [c.installed, c.fixed!] as const));
      const expected = new Set([
        ...withFix.filter((_, i) => verdicts[i]).map((c) => c.pair),
        ...all.filter((c) => c.fixed === undefined).map((c) => c.pair),
      ]);
      const ours = ourPairs(advisories, host);
      console.log(
        `ubuntu 18.04: ${withFix.length} (installed, fixed) pairs checked by dpkg, ${expected.size} affected pairs ` +
          `(${all.filter((c) => c.fixed === undefined).length} with no fix)`,
      );
      expect(withFix.length).toBeGreaterThan(500);
      expect(JSON.stringify(diff(ours, expected))).toBe(JSON.stringify({ extra: [], missing: [] }));
      expect(ours.size).toBe(expected.size);
    });
  },
);

const bionicImage = sharedDataPath('inventory/dpkg/trivy-ubuntu1804-status');

describe.skipIf(!bionic.feed || !bionicImage)(
  'Ubuntu 18.04 image (2019 dpkg status) x Ubuntu CVE Tracker',
  () => {
    it('finds the fixes the older image lacks, exactly where dpkg says installed < fixed', async () => {
      // The image's /etc/os-release is not part of the fixture: it is an Ubuntu 18.04 image.
      const osRelease: InventoryFragment = {
        format: 'os-release',
        file: 'os-release (Ubuntu 18.04)',
        os: { id: 'ubuntu', versionId: '18.04', versionCodename: 'bionic', idLike: ['debian'] },
        packages: [],
        warnings: [],
      };
      const { advisories, host } = await load(bionic.feed!, bionicImage!, [osRelease]);
      expect(host.osEcosystem).toBe('Ubuntu:18.04:LTS');
      const all = candidates(advisories, host);
      const withFix = all.filter((c) => c.fixed !== undefined);
      const verdicts = dpkgLessThan(withFix.map((c) => [c.installed, c.fixed!] as const));
      const fixable = withFix.filter((_, i) => verdicts[i]).map((c) => c.pair);
      const expected = new Set([...fixable, ...all.filter((c) => c.fixed === undefined).map((c) => c.pair)]);
      const ours = ourPairs(advisories, host);
      console.log(
        `ubuntu 18.04 image: ${withFix.length} pairs checked by dpkg, ${fixable.length} fixable, ${expected.size} affected`,
      );
      // The tracker snapshot holds only "active" CVEs (fully fixed ones are retired), so few fixes apply.
      expect(fixable.length).toBeGreaterThanOrEqual(10);
      expect(JSON.stringify(diff(ours, expected))).toBe(JSON.stringify({ extra: [], missing: [] }));
      expect(ours.size).toBe(expected.size);
    });
  },
);

const debian = {
  feed: sharedDataPath('advisories-debian/security-tracker-DSA-list.txt'),
  inventory: sharedDataPath('inventory/vuls-scan-results/debian_11.json'),
};

describe.skipIf(!debian.feed || !debian.inventory)('Debian 11 host x Debian DSA list (dpkg oracle)', () => {
  it('matches DSA fixes by source package and dpkg order', async () => {
    const { advisories, host } = await load(debian.feed!, debian.inventory!);
    expect(host.osEcosystem).toBe('Debian:11');
    const all = candidates(advisories, host);
    const withFix = all.filter((c) => c.fixed !== undefined);
    const verdicts = dpkgLessThan(withFix.map((c) => [c.installed, c.fixed!] as const));
    const expected = new Set([
      ...withFix.filter((_, i) => verdicts[i]).map((c) => c.pair),
      ...all.filter((c) => c.fixed === undefined).map((c) => c.pair),
    ]);
    const ours = ourPairs(advisories, host);
    console.log(`debian 11: ${withFix.length} pairs checked by dpkg, ${expected.size} affected`);
    expect(withFix.length).toBeGreaterThanOrEqual(100);
    expect(JSON.stringify(diff(ours, expected))).toBe(JSON.stringify({ extra: [], missing: [] }));
    expect(ours.size).toBe(expected.size);
  });
});
