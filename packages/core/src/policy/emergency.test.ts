import { describe, expect, it } from 'vitest';
import { compilePolicy } from './compile-policy.ts';
import { DEFAULT_POLICY } from './default-policy.ts';
import { compressDueDate, emergenciesFor, emergencyEffect } from './emergency.ts';
import { decideFinding } from './finding-decision.ts';
import type { EmergencySpec } from './policy-schema.ts';
import { asset, finding, policy } from './testing/policy-fixtures.ts';

const xzByCve: EmergencySpec = {
  id: 'EMG-XZ',
  cve: 'CVE-2024-3094',
  declaredAt: '2026-01-20T08:00:00Z',
  deadlineHours: 24,
  overrideWindows: true,
  reason: 'backdoor',
};
const opensslPatch: EmergencySpec = {
  id: 'EMG-SSL',
  patch: { ecosystem: 'AlmaLinux', package: 'openssl', fixedVersion: '1:3.0.7-27.el9' },
  declaredAt: '2026-01-18T00:00:00Z',
  deadlineHours: 72,
  overrideWindows: false,
  reason: 'worm',
  liftedAt: '2026-02-01T00:00:00Z',
};
const doc = policy({ slas: DEFAULT_POLICY.spec.slas, emergencies: [xzByCve, opensslPatch] });
const NOW = '2026-01-21T00:00:00Z';
const ids = (f: Parameters<typeof emergenciesFor>[0]['finding'], now = NOW) =>
  emergenciesFor({ finding: f, now }, doc).map((e) => e.spec.id);

describe('emergenciesFor', () => {
  it('matches a CVE by the finding id, an alias or a related CVE', () => {
    expect(ids(finding('CVE-2024-3094', { assetId: 'a', name: 'xz-libs' }))).toEqual(['EMG-XZ']);
    expect(
      ids(finding('ALSA-2024:1234', { assetId: 'a', name: 'xz-libs', relatedCves: ['cve-2024-3094'] })),
    ).toEqual(['EMG-XZ']);
    expect(ids(finding('GHSA-1', { assetId: 'a', name: 'xz-libs', aliases: ['CVE-2024-3094'] }))).toEqual([
      'EMG-XZ',
    ]);
    expect(ids(finding('CVE-2024-9999', { assetId: 'a', name: 'xz-libs' }))).toEqual([]);
  });

  it('matches a patch by ecosystem base, source or binary name, and findings its version closes', () => {
    const binary = finding('ALSA-1', {
      assetId: 'a',
      name: 'openssl-libs',
      sourceName: 'openssl',
      fixedVersion: '1:3.0.7-6.el9',
    });
    expect(ids(binary)).toEqual(['EMG-SSL']);
    const newer = finding('ALSA-2', { assetId: 'a', name: 'openssl', fixedVersion: '1:3.0.7-28.el9' });
    expect(ids(newer)).toEqual([]);
    const ubuntu = finding('USN-1', {
      assetId: 'a',
      name: 'openssl',
      ecosystem: 'Ubuntu:22.04:LTS',
      fixedVersion: '3.0.2-0ubuntu1.10',
    });
    expect(ids(ubuntu)).toEqual([]);
    const unfixed = finding('ALSA-3', { assetId: 'a', name: 'openssl', fixedVersion: undefined });
    expect(ids(unfixed)).toEqual([]);
  });

  it('is in force from declaredAt until liftedAt', () => {
    const f = finding('ALSA-1', { assetId: 'a', name: 'openssl', fixedVersion: '1:3.0.7-6.el9' });
    expect(ids(f, '2026-01-17T23:59:59Z')).toEqual([]);
    expect(ids(f, '2026-01-18T00:00:00Z')).toEqual(['EMG-SSL']);
    expect(ids(f, '2026-02-01T00:00:00Z')).toEqual([]);
  });
});

describe('emergencyEffect and compressDueDate', () => {
  it('takes the earliest deadline, approval from the earliest declaration, windows overridden if any says so', () => {
    const compiled = compilePolicy(doc);
    const effect = emergencyEffect(compiled.emergencies);
    expect(effect).toMatchObject({
      // EMG-SSL: 18 Jan + 72 h; EMG-XZ: 20 Jan 08:00 + 24 h.
      ids: ['EMG-SSL', 'EMG-XZ'],
      deadline: '2026-01-21T00:00:00Z',
      overrideWindows: true,
      approvedAt: '2026-01-18T00:00:00Z',
    });
    expect(emergencyEffect([])).toBeUndefined();
    const deadline = Date.parse('2026-01-21T00:00:00Z');
    expect(compressDueDate(deadline + 1000, effect)).toBe(deadline);
    expect(compressDueDate(deadline - 1000, effect)).toBe(deadline - 1000);
    expect(compressDueDate(undefined, effect)).toBe(deadline);
    expect(compressDueDate(5, undefined)).toBe(5);
  });

  it('compresses a finding due date and never makes it later', () => {
    const web = asset('web-1', { exposure: 'internal' });
    const xz = finding('CVE-2024-3094', {
      assetId: 'web-1',
      name: 'xz-libs',
      sourceName: 'xz',
      severity: 'medium',
    });
    const plain = decideFinding(
      { finding: xz, asset: web, now: NOW },
      policy({ slas: DEFAULT_POLICY.spec.slas }),
    );
    const urgent = decideFinding({ finding: xz, asset: web, now: NOW }, doc);
    // Medium severity on an internal asset scores low: 180 days.
    expect(plain.due).toBe('2026-06-30T00:00:00Z');
    expect(urgent.due).toBe('2026-01-21T08:00:00Z');
    expect(urgent.explanation).toContain('compressed to 2026-01-21T08:00:00Z by emergency EMG-XZ');
    // A KEV finding already due before the emergency deadline keeps its earlier date.
    const kev = {
      ...xz,
      kev: { dateAdded: '2024-03-29', dueDate: '2024-04-19', knownRansomwareCampaignUse: 'Unknown' },
    };
    expect(decideFinding({ finding: kev, asset: web, now: NOW }, doc).due).toBe('2024-04-20T00:00:00Z');
  });
});
