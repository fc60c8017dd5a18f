import { describe, expect, it } from 'vitest';
import type { Asset } from '../assets/asset.ts';
import { baselineFor, evaluateApproval } from './baseline.ts';
import type { PatchApprovalFacts } from './baseline.ts';
import { compilePolicy } from './compile-policy.ts';
import { emergencyEffect } from './emergency.ts';
import { PolicyContext } from './policy-context.ts';
import type { BaselineSpec } from './policy-schema.ts';
import { asset, policy } from './testing/policy-fixtures.ts';

const NOW = '2026-01-20T00:00:00Z';
const prod = asset('web-1', { environment: 'production', exposure: 'internet' });
const dev = asset('dev-1', { environment: 'development' });

function facts(extra: Partial<PatchApprovalFacts> = {}, on: Asset = prod): PatchApprovalFacts {
  return {
    ecosystem: 'AlmaLinux:9',
    packageName: 'openssl',
    binaryNames: ['openssl-libs'],
    fixedVersion: '1:3.0.7-27.el9',
    patchType: 'security',
    severity: 'high',
    kev: false,
    asset: on,
    vulnerabilityIds: ['CVE-2023-0286', 'ALSA-2023:0946'],
    firstSeen: '2026-01-01T00:00:00Z',
    ...extra,
  };
}

const production: BaselineSpec = {
  name: 'production',
  assets: 'env:production',
  rules: [
    { name: 'kev', match: { kev: true }, autoApproveAfterDays: 0 },
    { name: 'kernel', match: { packages: ['kernel*'] } },
    {
      name: 'critical',
      match: { patchTypes: ['security'], severityAtLeast: 'critical' },
      autoApproveAfterDays: 1,
    },
    { name: 'likely-exploited', match: { epssAtLeast: 0.5 }, autoApproveAfterDays: 2 },
    {
      name: 'security',
      match: { patchTypes: ['security'], ecosystems: ['AlmaLinux'] },
      autoApproveAfterDays: 7,
    },
  ],
  approvedPatches: ['CVE-2024-3094', 'AlmaLinux:9/curl@7.76.1-*'],
  rejectedPatches: ['openssh@1:8.7p1-38.el9', 'CVE-2023-0286-REJECTED'],
};
const everythingElse: BaselineSpec = {
  name: 'rest',
  rules: [{ name: 'internet-only', match: { assets: 'exposure:internet' }, autoApproveAfterDays: 0 }],
};
const doc = policy({ baselines: [production, everythingElse] });

const approve = (patch: PatchApprovalFacts, extra: { now?: string } = {}) =>
  evaluateApproval({ patch, now: extra.now ?? NOW }, doc);

describe('evaluateApproval', () => {
  it('puts an asset in the first baseline whose filter it matches', () => {
    const context = new PolicyContext(doc, NOW);
    expect(baselineFor(prod, context)?.spec.name).toBe('production');
    expect(baselineFor(dev, context)?.spec.name).toBe('rest');
    const noFallback = new PolicyContext(policy({ baselines: [production] }), NOW);
    expect(baselineFor(dev, noFallback)).toBeUndefined();
  });

  it('auto-approves N days after the fix was published; pending until then, with the date', () => {
    const published = facts({ publishedAt: '2026-01-15T00:00:00Z' });
    expect(approve(published)).toMatchObject({
      state: 'pending',
      approvesAt: '2026-01-22T00:00:00Z',
      rule: 'rule:security',
      baseline: 'production',
    });
    const later = approve(published, { now: '2026-01-22T00:00:00Z' });
    expect(later).toMatchObject({ state: 'approved', approvedAt: '2026-01-22T00:00:00Z' });
    expect(later.explanation).toContain('fix published 2026-01-15T00:00:00Z + 7 days');
  });

  it('counts from first seen when the publication date is unknown', () => {
    const result = approve(facts());
    expect(result).toMatchObject({ state: 'approved', approvedAt: '2026-01-08T00:00:00Z' });
    expect(result.explanation).toContain('first seen (publication date unknown)');
  });

  it('takes rules in order: the first that holds decides', () => {
    expect(approve(facts({ kev: true, publishedAt: NOW })).rule).toBe('rule:kev');
    // The kernel rule precedes `critical`, and it has no autoApproveAfterDays: a person decides.
    const kernel = approve(facts({ packageName: 'kernel', severity: 'critical' }));
    expect(kernel).toMatchObject({ state: 'pending', rule: 'rule:kernel' });
    expect(kernel.approvesAt).toBeUndefined();
    expect(approve(facts({ severity: 'critical', publishedAt: '2026-01-19T12:00:00Z' }))).toMatchObject({
      state: 'pending',
      rule: 'rule:critical',
      approvesAt: '2026-01-20T12:00:00Z',
    });
    expect(
      approve(facts({ epss: 0.6, patchType: 'bugfix', publishedAt: '2026-01-10T00:00:00Z' })),
    ).toMatchObject({
      state: 'approved',
      rule: 'rule:likely-exploited',
    });
  });

  it('each condition can fail a rule', () => {
    // Below the EPSS bar, not security: no rule of `production` matches.
    expect(approve(facts({ epss: 0.49, patchType: 'bugfix' }))).toMatchObject({
      state: 'pending',
      rule: 'no-matching-rule',
    });
    // The security rule wants AlmaLinux (by base name): Ubuntu does not qualify.
    expect(approve(facts({ ecosystem: 'Ubuntu:22.04:LTS' })).rule).toBe('no-matching-rule');
    expect(approve(facts({ ecosystem: 'AlmaLinux:8' })).rule).toBe('rule:security');
    // A binary package name satisfies a package glob too.
    expect(approve(facts({ packageName: 'linux', binaryNames: ['kernel-core'] })).rule).toBe('rule:kernel');
    // An asset filter inside a rule.
    expect(evaluateApproval({ patch: facts({}, dev), now: NOW }, doc)).toMatchObject({
      state: 'pending',
      rule: 'no-matching-rule',
      baseline: 'rest',
    });
    const exposedDev = asset('dev-2', { environment: 'development', exposure: 'internet' });
    expect(evaluateApproval({ patch: facts({}, exposedDev), now: NOW }, doc)).toMatchObject({
      state: 'approved',
      rule: 'rule:internet-only',
    });
  });

  it('explicit lists: approve by vulnerability id or package@version glob, reject wins', () => {
    expect(approve(facts({ vulnerabilityIds: ['CVE-2024-3094'], patchType: 'feature' }))).toMatchObject({
      state: 'approved',
      rule: 'approvedPatches:CVE-2024-3094',
    });
    expect(
      approve(facts({ packageName: 'curl', fixedVersion: '7.76.1-26.el9', patchType: 'feature' })).rule,
    ).toBe('approvedPatches:AlmaLinux:9/curl@7.76.1-*');
    // In another ecosystem the same reference does not apply.
    expect(
      approve(
        facts({
          ecosystem: 'Rocky Linux:9',
          packageName: 'curl',
          fixedVersion: '7.76.1-26.el9',
          patchType: 'feature',
        }),
      ).rule,
    ).toBe('no-matching-rule');
    const both = facts({
      packageName: 'openssh',
      fixedVersion: '1:8.7p1-38.el9',
      vulnerabilityIds: ['CVE-2024-3094'],
    });
    expect(approve(both)).toMatchObject({
      state: 'rejected',
      rule: 'rejectedPatches:openssh@1:8.7p1-38.el9',
    });
    // Another version of the rejected package is not rejected.
    expect(approve(facts({ packageName: 'openssh', fixedVersion: '1:8.7p1-43.el9' })).state).toBe('approved');
  });

  it('an emergency approves as of its declaration, even a rejected patch', () => {
    const withEmergency = compilePolicy(
      policy({
        baselines: [production],
        emergencies: [
          {
            id: 'EMG-1',
            cve: 'CVE-2023-0286',
            declaredAt: '2026-01-19T06:00:00Z',
            deadlineHours: 24,
            overrideWindows: true,
            reason: 'exploited in the wild',
          },
        ],
      }),
    );
    const effect = emergencyEffect(withEmergency.emergencies);
    const rejected = facts({ packageName: 'openssh', fixedVersion: '1:8.7p1-38.el9' });
    const result = evaluateApproval(
      { patch: rejected, now: NOW, ...(effect ? { emergency: effect } : {}) },
      withEmergency,
    );
    expect(result).toMatchObject({
      state: 'approved',
      approvedAt: '2026-01-19T06:00:00Z',
      rule: 'emergency:EMG-1',
    });
    expect(result.explanation).toContain('overrides rejectedPatches');
  });

  it('no baseline for the asset: pending for a person', () => {
    const result = evaluateApproval({ patch: facts({}, dev), now: NOW }, policy({ baselines: [production] }));
    expect(result).toMatchObject({ state: 'pending', rule: 'no-baseline' });
    expect(result.baseline).toBeUndefined();
  });
});
