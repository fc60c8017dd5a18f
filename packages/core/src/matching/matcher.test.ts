import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../../../../test-support/shared-data.ts';
import type { Advisory } from '../intel/advisory.ts';
import type { InstalledPackage } from '../inventory/installed-package.ts';
import { AdvisoryIndex } from './advisory-index.ts';
import type { Finding } from './finding.ts';
import { FleetMatcher } from './fleet-matcher.ts';
import { matchPackages } from './matcher.ts';

/** A real Ubuntu OSV record, mapped to our model the way the OSV reader does (only what is used). */
function ubuntuRecord(): Advisory {
  const raw = JSON.parse(
    readFileSync(fixturePath('feed-readers/osv/ubuntu/vunnel__UBUNTU-CVE-2014-9913.json'), 'utf8'),
  ) as {
    id: string;
    upstream: string[];
    modified: string;
    severity: { type: string; score: string }[];
    affected: {
      package: { ecosystem: string; name: string };
      ranges: Advisory['affected'][number]['ranges'];
    }[];
  };
  return {
    id: raw.id,
    aliases: [],
    related: [],
    upstream: raw.upstream,
    source: 'osv',
    modified: raw.modified,
    severity: raw.severity,
    cwes: [],
    references: [],
    affected: raw.affected.map((a) => ({
      ecosystem: a.package.ecosystem,
      name: a.package.name,
      ranges: a.ranges,
      versions: [],
    })),
  };
}

/** The same CVE as the Ubuntu CVE Tracker states it (`xenial_unzip: released (6.0-20ubuntu1.1)`). */
function trackerRecord(fixed = '6.0-20ubuntu1.1'): Advisory {
  return {
    id: 'CVE-2014-9913',
    aliases: [],
    related: [],
    source: 'ubuntu-uct',
    modified: '2020-06-18T00:00:00Z',
    severity: [{ type: 'Ubuntu', score: 'negligible' }],
    cwes: [],
    references: [],
    affected: [
      {
        ecosystem: 'Ubuntu:16.04:LTS',
        name: 'unzip',
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }],
        versions: [],
      },
    ],
  };
}

const unzip = (version: string, ecosystem = 'Ubuntu:16.04:LTS'): InstalledPackage => ({
  ecosystem,
  name: 'unzip',
  version,
  sourceName: 'unzip',
  kind: 'os',
  packageManager: 'dpkg',
});

describe('matchPackages', () => {
  it('merges one vulnerability reported by two feeds into one finding with both as evidence', () => {
    const index = AdvisoryIndex.from([ubuntuRecord(), trackerRecord()]);
    const { findings } = matchPackages([unzip('6.0-20ubuntu1')], index);
    expect(findings).toHaveLength(1);
    const [finding] = findings;
    expect(finding!.id).toBe('CVE-2014-9913');
    expect(finding!.aliases).toEqual(['UBUNTU-CVE-2014-9913']);
    expect(finding!.evidence.map((e) => `${e.source}:${e.advisoryId}`).sort()).toEqual([
      'osv:UBUNTU-CVE-2014-9913',
      'ubuntu-uct:CVE-2014-9913',
    ]);
    expect(finding!.fixedVersion).toBe('6.0-20ubuntu1.1');
    expect(finding!.cvss).toMatchObject({ version: '3.0', baseScore: 4 });
  });

  it('takes the highest fix when feeds disagree, so the upgrade closes both', () => {
    const index = AdvisoryIndex.from([ubuntuRecord(), trackerRecord('6.0-20ubuntu1.2')]);
    const [finding] = matchPackages([unzip('6.0-20ubuntu1')], index).findings;
    expect(finding!.fixedVersion).toBe('6.0-20ubuntu1.2');
  });

  it('matches only the exact distro release', () => {
    const index = AdvisoryIndex.from([ubuntuRecord()]);
    expect(matchPackages([unzip('6.0-20ubuntu1', 'Ubuntu:18.04:LTS')], index).findings).toEqual([]);
  });

  it('never matches withdrawn advisories', () => {
    const withdrawn = { ...ubuntuRecord(), withdrawn: '2021-01-01T00:00:00Z' };
    expect(matchPackages([unzip('6.0-20ubuntu1')], AdvisoryIndex.from([withdrawn])).findings).toEqual([]);
  });

  it('reports packages it cannot match, by reason', () => {
    const index = AdvisoryIndex.from([ubuntuRecord()]);
    const report = matchPackages(
      [
        { name: 'bash', version: '4.4-5', kind: 'os', packageManager: 'dpkg' },
        {
          ecosystem: 'Hackage',
          name: 'aeson',
          version: '2.1.0.0',
          kind: 'language',
          packageManager: 'unknown',
        },
        { ecosystem: 'npm', name: 'left-pad', version: '1.3.0', kind: 'language', packageManager: 'npm' },
        {
          ecosystem: 'npm',
          name: 'weird',
          version: 'not-a-version',
          kind: 'language',
          packageManager: 'npm',
        },
      ],
      index,
    );
    expect(report.unmatched.map((u) => `${u.reason} ${u.ecosystem} ${u.packages}`).sort()).toEqual([
      'invalid-version npm 1',
      'no-advisories npm 1',
      'no-ecosystem (dpkg) 1',
      'no-version-order Hackage 1',
    ]);
  });

  it('matches each distinct tuple once and shares its findings with every package', () => {
    const index = AdvisoryIndex.from([ubuntuRecord()]);
    const report = matchPackages(
      [unzip('6.0-20ubuntu1'), { ...unzip('6.0-20ubuntu1'), location: { file: 'b', line: 3 } }],
      index,
    );
    expect(report.distinctTuples).toBe(1);
    expect(report.findings).toHaveLength(2);
  });

  it('with a memo, matches a tuple once across calls and finds exactly what it finds without', () => {
    const index = AdvisoryIndex.from([ubuntuRecord()]);
    const memo = new Map<string, readonly Omit<Finding, 'package'>[]>();
    const hosts = [
      [unzip('6.0-20ubuntu1')],
      [unzip('6.0-20ubuntu1'), unzip('6.0-25ubuntu1')],
      [unzip('6.0-25ubuntu1')],
    ];
    for (const packages of hosts) {
      expect(matchPackages(packages, index, undefined, memo)).toEqual(matchPackages(packages, index));
    }
    // Two tuples, each matched once: the vulnerable one and the fixed one (remembered as no findings).
    expect(memo.size).toBe(2);
    expect([...memo.values()].map((findings) => findings.length).sort()).toEqual([0, 1]);
    // What the memo says is what is reported: a caller that does not drop it on change is wrong.
    memo.set(
      [...memo.keys()].find((key) => key.endsWith('6.0-20ubuntu1'))!,
      [],
    );
    expect(matchPackages(hosts[0]!, index, undefined, memo).findings).toEqual([]);
  });
});

describe('FleetMatcher', () => {
  it('re-matches only touched tuples and agrees with a full rebuild', () => {
    const index = AdvisoryIndex.from([trackerRecord('6.0-20ubuntu1.1')]);
    const fleet = new FleetMatcher(index);
    const target = { ecosystem: 'Ubuntu:16.04:LTS', name: 'unzip', version: '6.0-20ubuntu1.1' };
    const patched = fleet.intern(target);
    const old = fleet.intern({ ...target, version: '6.0-20ubuntu1' });
    const other = fleet.intern({ ...target, name: 'zip', version: '3.0-11' });
    expect(fleet.matchPending()).toBe(3);
    expect(fleet.vulnerableIn([patched, old, other])).toEqual([old]);

    // The tracker raises the fix: the patched host is vulnerable again; zip is not re-matched.
    const rematched = fleet.applyAdvisories([
      { ...trackerRecord('6.0-20ubuntu1.2'), modified: '2021-01-01T00:00:00Z' },
    ]);
    expect(rematched.sort()).toEqual([patched, old].sort());
    expect(fleet.vulnerableIn([patched, old, other])).toEqual([patched, old]);

    const rebuilt = new FleetMatcher(AdvisoryIndex.from([trackerRecord('6.0-20ubuntu1.2')]));
    for (const id of [patched, old, other]) rebuilt.intern(fleet.target(id));
    rebuilt.matchPending();
    expect(rebuilt.vulnerableIn([0, 1, 2])).toEqual([0, 1]);
  });
});

describe('Red Hat repositories', () => {
  it('matches a RHEL host against every repository of its release', () => {
    const advisory: Advisory = {
      id: 'RHSA-2022:0001',
      aliases: [],
      related: [],
      source: 'osv',
      modified: '2022-01-01T00:00:00Z',
      severity: [],
      cwes: [],
      references: [],
      affected: [
        {
          ecosystem: 'Red Hat:enterprise_linux:9::appstream',
          name: 'nodejs',
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1:16.13.1-3.el9' }] }],
          versions: [],
        },
      ],
    };
    const host: InstalledPackage = {
      ecosystem: 'Red Hat:enterprise_linux:9',
      name: 'nodejs',
      version: '1:16.13.0-1.el9',
      kind: 'os',
      packageManager: 'rpm',
    };
    const report = matchPackages([host], AdvisoryIndex.from([advisory]));
    expect(report.findings.map((f) => f.id)).toEqual(['RHSA-2022:0001']);
    expect(report.unmatched).toEqual([]);
  });
});
