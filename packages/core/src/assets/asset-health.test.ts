import { describe, expect, it } from 'vitest';
import type { InstalledPackage } from '../inventory/installed-package.ts';
import type { Asset } from './asset.ts';
import { assetState, driftReport, feedCoverage, hiddenAssets } from './asset-health.ts';

const NOW = '2025-03-01T00:00:00Z';

describe('assetState', () => {
  it('is unknown without an inventory, stale past the threshold, current otherwise', () => {
    const options = { staleAfterDays: 7 };
    expect(assetState({}, NOW, options)).toBe('unknown');
    expect(assetState({ inventoryAt: '2025-02-22T00:00:00Z' }, NOW, options)).toBe('current');
    expect(assetState({ inventoryAt: '2025-02-21T23:59:59Z' }, NOW, options)).toBe('stale');
    // An inventory newer than "now" (clock skew) is not stale.
    expect(assetState({ inventoryAt: '2025-03-02T00:00:00Z' }, NOW, options)).toBe('current');
    expect(assetState({ inventoryAt: '2025-02-21T23:59:59Z' }, NOW, { staleAfterDays: 30 })).toBe('current');
  });

  it('refuses an unreadable instant instead of guessing', () => {
    expect(() => assetState({ inventoryAt: 'yesterday' }, NOW, { staleAfterDays: 7 })).toThrow(/inventoryAt/);
  });
});

describe('hiddenAssets', () => {
  it('lists assets a scanner or import reported but no agent did', () => {
    const assets = [
      { id: 'a', sources: ['agent'] },
      { id: 'b', sources: ['scanner'] },
      { id: 'c', sources: ['csv', 'agent'] },
      { id: 'd', sources: ['json'] },
      { id: 'e', sources: ['sbom'] },
      { id: 'f', sources: ['manual'] },
    ] as Pick<Asset, 'id' | 'sources'>[];
    expect(hiddenAssets(assets).map((a) => a.id)).toEqual(['b', 'd']);
  });
});

function pkg(name: string, version: string, extra: Partial<InstalledPackage> = {}): InstalledPackage {
  return { name, version, kind: 'os', packageManager: 'dpkg', ecosystem: 'Debian:12', ...extra };
}

describe('driftReport', () => {
  const debian = { id: 'debian', versionId: '12' };
  it('per OS and package: the versions in use, the standard, and who runs the others', () => {
    const report = driftReport([
      {
        asset: { id: 'h1', name: 'h1', os: debian },
        packages: [pkg('openssl', '3.0.15-1~deb12u1'), pkg('bash', '5.2.15-2+b2')],
      },
      {
        asset: { id: 'h2', name: 'h2', os: debian },
        packages: [pkg('openssl', '3.0.15-1~deb12u1'), pkg('bash', '5.2.15-2+b2')],
      },
      {
        asset: { id: 'h3', name: 'h3', os: debian },
        packages: [pkg('openssl', '3.0.11-1~deb12u2'), pkg('bash', '5.2.15-2+b2')],
      },
      {
        asset: { id: 'u1', name: 'u1', os: { id: 'ubuntu', versionId: '22.04' } },
        packages: [pkg('openssl', '3.0.2-0ubuntu1')],
      },
    ]);
    expect(report.map((r) => [r.os, r.assets, r.packages])).toEqual([
      ['debian-12', 3, 2],
      ['ubuntu-22.04', 1, 1],
    ]);
    expect(report[0]!.drifting).toEqual([
      {
        packageManager: 'dpkg',
        name: 'openssl',
        standard: '3.0.15-1~deb12u1',
        versions: [
          { version: '3.0.15-1~deb12u1', assets: ['h1', 'h2'] },
          { version: '3.0.11-1~deb12u2', assets: ['h3'] },
        ],
        minority: [{ assetId: 'h3', versions: ['3.0.11-1~deb12u2'] }],
      },
    ]);
    expect(report[1]!.drifting).toEqual([]);
  });

  it('breaks a tie by the newest version in the ecosystem order (not string order), skips language packages', () => {
    const [group] = driftReport([
      {
        asset: { id: 'a', name: 'a', os: debian },
        packages: [
          pkg('zlib', '1:1.2.13.dfsg-1'),
          pkg('lodash', '4.17.4', { kind: 'language', packageManager: 'npm', ecosystem: 'npm' }),
        ],
      },
      {
        asset: { id: 'b', name: 'b', os: debian },
        packages: [
          pkg('zlib', '1:1.2.9-1'),
          pkg('lodash', '4.17.21', { kind: 'language', packageManager: 'npm', ecosystem: 'npm' }),
        ],
      },
    ]);
    // As strings 1.2.9 > 1.2.13; in dpkg order 1.2.13 is newer.
    expect(group!.drifting.map((d) => [d.name, d.standard])).toEqual([['zlib', '1:1.2.13.dfsg-1']]);
    expect(group!.drifting[0]!.minority).toEqual([{ assetId: 'b', versions: ['1:1.2.9-1'] }]);
  });

  it('an asset holding the standard version as well (multi-arch) is not a straggler', () => {
    const [group] = driftReport([
      {
        asset: { id: 'a', name: 'a', os: debian },
        packages: [pkg('libc6', '2.36-9', { arch: 'amd64' }), pkg('libc6', '2.36-8', { arch: 'i386' })],
      },
      { asset: { id: 'b', name: 'b', os: debian }, packages: [pkg('libc6', '2.36-9', { arch: 'amd64' })] },
    ]);
    expect(group!.drifting[0]!.standard).toBe('2.36-9');
    expect(group!.drifting[0]!.minority).toEqual([]);
  });
});

describe('feedCoverage', () => {
  const covered = [
    { ecosystem: 'Debian:12', lastSyncAt: '2025-02-28T00:00:00Z' },
    { ecosystem: 'npm', lastSyncAt: '2025-01-01T00:00:00Z' },
    { ecosystem: 'npm', lastSyncAt: '2025-02-27T00:00:00Z' },
    { ecosystem: 'PyPI', lastSyncAt: '2024-12-01T00:00:00Z' },
    { ecosystem: 'Red Hat:enterprise_linux:9::appstream', lastSyncAt: '2025-02-28T00:00:00Z' },
    { ecosystem: 'Alpine', lastSyncAt: '2025-02-28T00:00:00Z' },
  ];
  it('splits each asset’s ecosystems into fresh, stale-only and uncovered, and flags the gaps', () => {
    const result = feedCoverage(
      [
        { assetId: 'deb', ecosystems: ['Debian:12', 'npm', 'npm'] },
        { assetId: 'app', ecosystems: ['PyPI', 'Go'] },
        { assetId: 'rhel', ecosystems: ['Red Hat:enterprise_linux:9'] },
        { assetId: 'alp', ecosystems: ['Alpine:v3.19'] },
        { assetId: 'bare', ecosystems: [] },
      ],
      covered,
      '2025-03-01T00:00:00Z',
      7,
    );
    expect(result).toEqual([
      { assetId: 'deb', fresh: ['Debian:12', 'npm'], stale: [], uncovered: [], flagged: false },
      { assetId: 'app', fresh: [], stale: ['PyPI'], uncovered: ['Go'], flagged: true },
      { assetId: 'rhel', fresh: ['Red Hat:enterprise_linux:9'], stale: [], uncovered: [], flagged: false },
      { assetId: 'alp', fresh: ['Alpine:v3.19'], stale: [], uncovered: [], flagged: false },
      { assetId: 'bare', fresh: [], stale: [], uncovered: [], flagged: false },
    ]);
    // Debian 11 is not covered by a Debian 12 feed.
    expect(
      feedCoverage([{ assetId: 'x', ecosystems: ['Debian:11'] }], covered, NOW, 7)[0]!.uncovered,
    ).toEqual(['Debian:11']);
  });
});
