import { describe, expect, it } from 'vitest';
import type { Asset } from './asset.ts';
import {
  assetFromFacts,
  findMergeCandidate,
  mergeAsset,
  normalizeAssetFacts,
  trustOf,
} from './asset-merge.ts';
import type { AssetFacts } from './asset-merge.ts';

const T0 = '2025-01-01T00:00:00.000Z';
const T1 = '2025-02-01T00:00:00.000Z';

let counter = 0;
function existing(facts: AssetFacts, source: Asset['sources'][number] = 'agent', at = T0): Asset {
  counter++;
  return assetFromFacts(`00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`, facts, source, at)
    .asset;
}

describe('normalizeAssetFacts', () => {
  it('puts identifiers in one form: a dotted hostname becomes fqdn + short name, MACs and IPs canonical', () => {
    expect(
      normalizeAssetFacts({
        hostname: 'WEB01.Prod.Example.COM.',
        macs: ['52-54-00-AB-CD-EF', '5254.00ab.cdef'],
        ips: ['2001:DB8:0:0:0:0:0:1', '10.0.0.1'],
        environment: ' Production ',
      }),
    ).toEqual({
      hostname: 'web01',
      fqdn: 'web01.prod.example.com',
      macs: ['52:54:00:ab:cd:ef'],
      ips: ['2001:db8::1', '10.0.0.1'],
      environment: 'production',
    });
  });
});

describe('findMergeCandidate', () => {
  const web = existing({
    hostname: 'web01',
    fqdn: 'web01.prod.example.com',
    macs: ['52:54:00:00:00:01'],
    ips: ['10.0.0.1'],
    environment: 'production',
  });
  const db = existing({
    hostname: 'db01',
    macs: ['52:54:00:00:00:02'],
    ips: ['10.0.0.2'],
    environment: 'production',
  });
  const printer = existing(
    { name: 'printer-3f', macs: ['00:1b:a9:00:00:03'], ips: ['10.9.0.3'], environment: 'office' },
    'csv',
  );
  const fleet = [web, db, printer];

  it('matches by FQDN first, whatever else differs (a rebuilt VM keeps its name, not its MAC)', () => {
    expect(
      findMergeCandidate({ fqdn: 'WEB01.prod.example.com', macs: ['52:54:00:99:99:99'] }, fleet),
    ).toEqual({
      asset: web,
      rule: 'fqdn',
    });
    // A dotted hostname is an FQDN.
    expect(findMergeCandidate({ hostname: 'web01.prod.example.com.' }, fleet).rule).toBe('fqdn');
  });

  it('FQDN wins over a MAC that points elsewhere', () => {
    expect(
      findMergeCandidate({ fqdn: 'web01.prod.example.com', macs: ['52:54:00:00:00:02'] }, fleet).asset,
    ).toBe(web);
  });

  it('matches by MAC in any notation, but never by an all-zero, broadcast or multicast MAC', () => {
    expect(findMergeCandidate({ name: 'renamed', macs: ['001B.A900.0003'] }, fleet)).toEqual({
      asset: printer,
      rule: 'mac',
    });
    const zero = existing({ hostname: 'a', macs: ['00:00:00:00:00:00', '01:00:5e:00:00:fb'] });
    expect(findMergeCandidate({ hostname: 'b', macs: ['00:00:00:00:00:00'] }, [zero]).rule).toBe('none');
    expect(findMergeCandidate({ hostname: 'b', macs: ['01-00-5E-00-00-FB'] }, [zero]).rule).toBe('none');
  });

  it('matches by short hostname only when exactly one asset has it and FQDNs do not disagree', () => {
    expect(findMergeCandidate({ hostname: 'DB01' }, fleet)).toEqual({ asset: db, rule: 'hostname' });
    const twin = existing({ hostname: 'db01', environment: 'staging' });
    expect(findMergeCandidate({ hostname: 'db01' }, [...fleet, twin]).rule).toBe('none');
    expect(findMergeCandidate({ hostname: 'web01', fqdn: 'web01.staging.example.com' }, fleet).rule).toBe(
      'none',
    );
    const generic = existing({ hostname: 'localhost' });
    expect(findMergeCandidate({ hostname: 'localhost' }, [generic]).rule).toBe('none');
  });

  it('matches by IP only within the same environment, uniquely, without contradicting names or MACs', () => {
    expect(findMergeCandidate({ ips: ['10.0.0.2'], environment: 'production' }, fleet)).toEqual({
      asset: db,
      rule: 'ip',
    });
    expect(findMergeCandidate({ ips: ['10.0.0.2'], environment: 'staging' }, fleet).rule).toBe('none');
    expect(findMergeCandidate({ ips: ['10.0.0.2'] }, fleet).rule).toBe('none');
    expect(
      findMergeCandidate({ ips: ['10.0.0.2'], environment: 'production', hostname: 'other' }, fleet).rule,
    ).toBe('none');
    expect(
      findMergeCandidate({ ips: ['10.0.0.2'], environment: 'production', macs: ['52:54:00:00:00:77'] }, fleet)
        .rule,
    ).toBe('none');
    const loop = existing({ hostname: 'x', ips: ['127.0.0.1'], environment: 'production' });
    expect(findMergeCandidate({ ips: ['127.0.0.1'], environment: 'production' }, [loop]).rule).toBe('none');
  });

  it('a strong identifier shared by duplicates picks the earliest seen', () => {
    const older = existing({ fqdn: 'dup.example.com' }, 'csv', T0);
    const newer = existing({ fqdn: 'dup.example.com' }, 'scanner', T1);
    expect(findMergeCandidate({ fqdn: 'dup.example.com' }, [newer, older]).asset).toBe(older);
  });

  it('nothing in common is a new asset', () => {
    expect(findMergeCandidate({ hostname: 'new01', macs: ['52:54:00:12:34:56'] }, fleet)).toEqual({
      rule: 'none',
    });
  });
});

describe('mergeAsset (trust table)', () => {
  it('agent facts beat CSV for the OS; CSV beats the agent for owner, environment and impact', () => {
    const { asset: fromAgent, provenance } = assetFromFacts(
      'a1',
      {
        hostname: 'web01',
        os: { id: 'ubuntu', versionId: '22.04' },
        environment: 'prod',
        ownerTeam: 'unknown',
        ips: ['10.0.0.1'],
        tags: ['agent-managed'],
      },
      'agent',
      T0,
    );
    const csv = mergeAsset(
      fromAgent,
      {
        os: { id: 'ubuntu', versionId: '20.04' },
        environment: 'production',
        ownerTeam: 'payments',
        businessImpact: 5,
        ips: ['10.0.0.9'],
        tags: ['pci'],
      },
      'csv',
      { provenance, reportedAt: T1 },
    );
    expect(csv.asset.os).toEqual({ id: 'ubuntu', versionId: '22.04' });
    expect(csv.asset).toMatchObject({ environment: 'production', ownerTeam: 'payments', businessImpact: 5 });
    expect(csv.asset.ips).toEqual(['10.0.0.1', '10.0.0.9']);
    expect(csv.asset.tags).toEqual(['agent-managed', 'pci']);
    expect(csv.asset.sources).toEqual(['agent', 'csv']);
    expect(csv.asset.firstSeen).toBe(T0);
    expect(csv.asset.lastSeen).toBe(T1);
    expect(csv.provenance).toMatchObject({
      os: 'agent',
      environment: 'csv',
      ownerTeam: 'csv',
      businessImpact: 'csv',
    });
    expect(csv.changed.sort()).toEqual(['businessImpact', 'environment', 'ownerTeam']);

    // The agent's next report moves the OS on, but cannot take back the curated values.
    const next = mergeAsset(
      csv.asset,
      { os: { id: 'ubuntu', versionId: '24.04' }, environment: 'prod', ownerTeam: 'unknown' },
      'agent',
      { provenance: csv.provenance, reportedAt: '2025-03-01T00:00:00.000Z' },
    );
    expect(next.asset.os).toEqual({ id: 'ubuntu', versionId: '24.04' });
    expect(next.asset).toMatchObject({ environment: 'production', ownerTeam: 'payments' });
    expect(next.changed).toEqual(['os']);
  });

  it('a weaker source fills an empty attribute; an empty incoming value never erases one', () => {
    const base = existing({ hostname: 'cam-7', kind: 'iot-device' }, 'csv');
    const merged = mergeAsset(base, { ownerTeam: 'facilities', location: '' }, 'scanner', { reportedAt: T1 });
    expect(merged.asset.ownerTeam).toBe('facilities');
    expect(merged.asset.kind).toBe('iot-device');
    const again = mergeAsset(merged.asset, { ownerTeam: undefined }, 'scanner', {
      provenance: merged.provenance,
    });
    expect(again.asset.ownerTeam).toBe('facilities');
  });

  it('without recorded provenance the most trusted existing source is assumed (curated values are safe)', () => {
    const curated = {
      ...existing({ hostname: 'x1', environment: 'production' }, 'csv'),
      sources: ['csv', 'agent'],
    } as Asset;
    expect(mergeAsset(curated, { environment: 'dev' }, 'agent').asset.environment).toBe('production');
    expect(mergeAsset(curated, { environment: 'dev' }, 'manual').asset.environment).toBe('dev');
  });

  it('the table ranks the documented pairs', () => {
    expect(trustOf('os', 'agent')).toBeGreaterThan(trustOf('os', 'csv'));
    expect(trustOf('kernel', 'agent')).toBeGreaterThan(trustOf('kernel', 'scanner'));
    for (const attribute of ['ownerTeam', 'environment', 'businessImpact'] as const) {
      expect(trustOf(attribute, 'csv')).toBeGreaterThan(trustOf(attribute, 'agent'));
      expect(trustOf(attribute, 'manual')).toBeGreaterThan(trustOf(attribute, 'csv'));
    }
  });
});

describe('assetFromFacts', () => {
  it('names a new asset after the best identifier it has and defaults the kind to server', () => {
    expect(assetFromFacts('i', { macs: ['AA-BB-CC-00-11-22'] }, 'scanner', T0).asset).toEqual({
      id: 'i',
      name: 'aa:bb:cc:00:11:22',
      kind: 'server',
      ips: [],
      macs: ['aa:bb:cc:00:11:22'],
      services: [],
      tags: [],
      assetClasses: [],
      sources: ['scanner'],
      firstSeen: T0,
      lastSeen: T0,
    });
    expect(
      assetFromFacts('i', { hostname: 'h.example.com', ips: ['10.0.0.1'] }, 'agent', T0).asset.name,
    ).toBe('h');
  });
});
