import { describe, expect, it } from 'vitest';
import type { PolicyDocument } from './policy-schema.ts';
import { asset, finding, policy } from './testing/policy-fixtures.ts';
import { simulatePolicyChange } from './what-if.ts';

// Wednesday; the Sunday window opens 2026-01-25T02:00Z.
const NOW = '2026-01-21T00:00:00Z';
const assets = [
  asset('web-1', { environment: 'production', exposure: 'internet', businessImpact: 5 }),
  asset('web-2', { environment: 'production', exposure: 'internet', businessImpact: 5 }),
  asset('db-1', { environment: 'production', exposure: 'internal', businessImpact: 4 }),
];
const critical = { severity: 'critical' as const, firstSeen: '2026-01-19T00:00:00Z' };
const findings = [
  finding('CVE-1', { assetId: 'web-1', name: 'openssl', fixedVersion: '1:3.0.7-27.el9', ...critical }),
  finding('CVE-1', { assetId: 'web-2', name: 'openssl', fixedVersion: '1:3.0.7-27.el9', ...critical }),
  finding('CVE-2', { assetId: 'web-1', name: 'curl', fixedVersion: '7.76.1-31.el9', ...critical }),
  finding('CVE-3', {
    assetId: 'db-1',
    name: 'bash',
    fixedVersion: '5.1.8-9.el9',
    severity: 'low',
    firstSeen: '2026-01-19T00:00:00Z',
  }),
];

const current = policy({
  baselines: [{ name: 'all', rules: [{ name: 'all', autoApproveAfterDays: 0 }] }],
  slas: [
    { name: 'critical', when: { severityAtLeast: 'critical' }, days: 7 },
    { name: 'rest', days: 90 },
  ],
  windows: [
    { id: 'sun', timeZone: 'UTC', recurrence: { cron: '0 2 * * 0' }, durationMinutes: 240 },
    { id: 'nightly', timeZone: 'UTC', recurrence: { cron: '0 23 * * *' }, durationMinutes: 60 },
  ],
  windowAssignments: [{ assets: 'env:production', windows: ['sun'] }],
});

function withSpec(base: PolicyDocument, change: (spec: PolicyDocument['spec']) => void): PolicyDocument {
  const copy = structuredClone(base);
  change(copy.spec);
  return copy;
}

describe('simulatePolicyChange', () => {
  it('SLA 7 -> 3 days: due dates earlier, breaches predicted in the Sunday window, nothing saved', () => {
    const proposed = withSpec(current, (spec) => {
      spec.slas[0]!.days = 3;
    });
    const before = JSON.stringify(current);
    const result = simulatePolicyChange({ findings, assets, now: NOW }, current, proposed);
    expect(JSON.stringify(current)).toBe(before);
    const openssl = result.patches.find((p) => p.id === 'AlmaLinux:9/openssl@1:3.0.7-27.el9')!;
    expect(openssl).toMatchObject({
      presence: 'both',
      dueBefore: '2026-01-26T00:00:00Z',
      dueAfter: '2026-01-22T00:00:00Z',
      dueShiftHours: -96,
      windowBefore: 'window sun 2026-01-25T02:00:00+00:00',
      windowAfter: 'window sun 2026-01-25T02:00:00+00:00',
      breachesBefore: 0,
      breachesAfter: 2,
    });
    expect(
      openssl.assets.map((a) => [a.assetId, a.before?.predictedBreach, a.after?.predictedBreach]),
    ).toEqual([
      ['web-1', false, true],
      ['web-2', false, true],
    ]);
    expect(result.summary).toMatchObject({
      patchesBefore: 3,
      patchesAfter: 3,
      predictedBreachesBefore: 0,
      predictedBreachesAfter: 3,
      breachesAdded: 3,
      breachesResolved: 0,
      windowChanged: 0,
    });
    // Only the critical findings' patches move; the low one keeps its 90 days.
    expect([result.summary.dueEarlier, result.summary.dueLater, result.summary.dueUnchanged]).toEqual([
      2, 0, 1,
    ]);
    expect(result.breaches.added.map((b) => `${b.patchId} ${b.assetId}`).sort()).toEqual([
      'AlmaLinux:9/curl@7.76.1-31.el9 web-1',
      'AlmaLinux:9/openssl@1:3.0.7-27.el9 web-1',
      'AlmaLinux:9/openssl@1:3.0.7-27.el9 web-2',
    ]);
  });

  it('a new nightly window: patches move to it, the Sunday load drops, breaches resolve', () => {
    const tight = withSpec(current, (spec) => {
      spec.slas[0]!.days = 3;
    });
    const nightly = withSpec(tight, (spec) => {
      spec.windowAssignments![0]!.windows = ['sun', 'nightly'];
    });
    const result = simulatePolicyChange({ findings, assets, now: NOW }, tight, nightly);
    expect(result.summary).toMatchObject({
      predictedBreachesBefore: 3,
      predictedBreachesAfter: 0,
      breachesResolved: 3,
      windowChanged: 3,
    });
    expect(result.windowLoad).toEqual([
      {
        windowId: 'nightly',
        start: '2026-01-21T23:00:00+00:00',
        end: '2026-01-22T00:00:00+00:00',
        patchesBefore: 0,
        patchesAfter: 3,
        jobsBefore: 0,
        jobsAfter: 4,
      },
      {
        windowId: 'sun',
        start: '2026-01-25T02:00:00+00:00',
        end: '2026-01-25T06:00:00+00:00',
        patchesBefore: 3,
        patchesAfter: 0,
        jobsBefore: 4,
        jobsAfter: 0,
      },
    ]);
    expect(result.summary.busiestWindowBefore?.windowId).toBe('sun');
    expect(result.summary.busiestWindowAfter?.windowId).toBe('nightly');
  });

  it('an unchanged policy changes nothing', () => {
    const result = simulatePolicyChange({ findings, assets, now: NOW }, current, structuredClone(current));
    expect(result.patches.every((p) => p.assets.length === 0 && p.dueShiftHours === 0)).toBe(true);
    expect(result.summary).toMatchObject({
      dueEarlier: 0,
      dueLater: 0,
      windowChanged: 0,
      breachesAdded: 0,
      breachesResolved: 0,
    });
  });

  it('a new exception: the patch leaves the queue and suppressed counts rise', () => {
    const excepted = withSpec(current, (spec) => {
      spec.exceptions.push({
        id: 'EXC-BASH',
        kind: 'deferral',
        scope: { packages: ['bash'] },
        reason: 'image rebuild',
        approver: 'ops',
        createdAt: '2026-01-20T00:00:00Z',
        expiresAt: '2026-02-20T00:00:00Z',
      });
    });
    const result = simulatePolicyChange({ findings, assets, now: NOW }, current, excepted);
    expect(result.patches.find((p) => p.id.includes('/bash@'))?.presence).toBe('only-before');
    expect(result.summary).toMatchObject({
      patchesBefore: 3,
      patchesAfter: 2,
      suppressedBefore: 0,
      suppressedAfter: 1,
    });
  });
});
