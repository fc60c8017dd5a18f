import { describe, expect, it } from 'vitest';
import { PatchwardenError } from '../errors/index.ts';
import { buildPatchQueue } from './patch-queue.ts';
import type { PatchQueueInput } from './patch-queue.ts';
import type { PolicySpec } from './policy-schema.ts';
import { asset, finding, policy } from './testing/policy-fixtures.ts';

// Wednesday. The Sunday window opens 2026-01-25T02:00Z; the nightly one at 23:00Z each day.
const NOW = '2026-01-21T00:00:00Z';
const web1 = asset('web-1', { environment: 'production', exposure: 'internet', businessImpact: 5 });
const web2 = asset('web-2', { environment: 'production', exposure: 'internet', businessImpact: 5 });
const db = asset('db-1', { environment: 'production', exposure: 'internal', businessImpact: 4 });
const dev = asset('dev-1', { environment: 'development', exposure: 'internal', businessImpact: 2 });
const ASSETS = [web1, web2, db, dev];

const spec: Partial<PolicySpec> = {
  baselines: [
    {
      name: 'production',
      assets: 'env:production',
      rules: [
        { name: 'kernel', match: { packages: ['kernel'] } },
        { name: 'security', match: { patchTypes: ['security'] }, autoApproveAfterDays: 7 },
      ],
    },
    { name: 'rest', rules: [{ name: 'all', autoApproveAfterDays: 0 }] },
  ],
  slas: [
    { name: 'critical', when: { riskLevelAtLeast: 'critical' }, days: 7 },
    { name: 'high', when: { riskLevelAtLeast: 'high' }, days: 30 },
    { name: 'rest', days: 90 },
  ],
  windows: [
    { id: 'sun', timeZone: 'UTC', recurrence: { cron: '0 2 * * 0' }, durationMinutes: 240 },
    { id: 'late', timeZone: 'UTC', recurrence: { cron: '0 23 * * *' }, durationMinutes: 60 },
  ],
  windowAssignments: [{ assets: 'env:production', windows: ['sun'] }],
};
const doc = policy(spec);

const queue = (findings: PatchQueueInput['findings'], extra: Partial<PatchQueueInput> = {}) =>
  buildPatchQueue({ findings, assets: ASSETS, policy: doc, now: NOW, ...extra });

const ssl = (
  id: string,
  assetId: string,
  fixedVersion: string,
  extra: Parameters<typeof finding>[1] = { assetId },
) =>
  finding(id, {
    name: 'openssl-libs',
    sourceName: 'openssl',
    fixedVersion,
    firstSeen: '2026-01-05T00:00:00Z',
    ...extra,
    assetId,
  });

describe('buildPatchQueue: grouping', () => {
  it('closes all of a package on an asset with one upgrade to the highest fixed version', () => {
    const q = queue([
      ssl('ALSA-2023:0946', 'web-1', '1:3.0.1-47.el9_1'),
      ssl('ALSA-2024:2447', 'web-1', '1:3.0.7-27.el9'),
      finding('ALSA-2024:2447', {
        assetId: 'web-1',
        name: 'openssl',
        sourceName: 'openssl',
        fixedVersion: '1:3.0.7-27.el9',
        firstSeen: '2026-01-05T00:00:00Z',
      }),
      ssl('ALSA-2024:2447', 'web-2', '1:3.0.7-27.el9'),
      ssl('ALSA-2023:0946', 'db-1', '1:3.0.1-47.el9_1'),
    ]);
    expect(q.items.map((i) => [i.id, i.assets.map((a) => a.assetId), i.findings.length])).toEqual([
      ['AlmaLinux:9/openssl@1:3.0.7-27.el9', ['web-1', 'web-2'], 4],
      ['AlmaLinux:9/openssl@1:3.0.1-47.el9_1', ['db-1'], 1],
    ]);
    const top = q.items[0]!;
    expect(top.binaryPackages).toEqual(['openssl', 'openssl-libs']);
    expect(top.vulnerabilities).toEqual(['ALSA-2023:0946', 'ALSA-2024:2447']);
    expect(top.patchType).toBe('security');
    // ALSA-2024:2447 reaches web-1 through two binary packages: one exposure, counted once.
    expect(top.riskRemoved.contributions.map((c) => [c.assetId, c.vulnerability, c.findings.length])).toEqual(
      [
        ['web-1', 'ALSA-2023:0946', 1],
        ['web-1', 'ALSA-2024:2447', 2],
        ['web-2', 'ALSA-2024:2447', 1],
      ],
    );
    const sum = top.riskRemoved.contributions.reduce((s, c) => s + c.score, 0);
    expect(top.riskRemoved.total).toBeCloseTo(sum, 2);
    for (const contribution of top.riskRemoved.contributions) {
      expect(contribution.factors.map((f) => f.factor)).toContain('cvss');
    }
    expect(q.summary).toMatchObject({ open: 5, queued: 5, patches: 2, assetJobs: 3 });
  });

  it('keeps fixed versions apart when the ecosystem cannot order them', () => {
    const q = queue([
      finding('X-1', { assetId: 'dev-1', ecosystem: 'Unknown', name: 'thing', fixedVersion: '2' }),
      finding('X-2', { assetId: 'dev-1', ecosystem: 'Unknown', name: 'thing', fixedVersion: '10' }),
    ]);
    expect(q.items.map((i) => i.id).sort()).toEqual(['Unknown/thing@10', 'Unknown/thing@2']);
  });

  it('accounts every open finding once: queued, suppressed or without a fix; closed ones are ignored', () => {
    const withException = policy({
      ...spec,
      exceptions: [
        {
          id: 'EXC-1',
          scope: { assets: 'name:db-*', vulnerabilities: ['ALSA-2023:0946'] },
          reason: 'r',
          compensatingControl: 'c',
          approver: 'a',
          createdAt: '2026-01-01T00:00:00Z',
          expiresAt: '2026-03-01T00:00:00Z',
        },
      ],
    });
    const findings = [
      ssl('ALSA-2023:0946', 'db-1', '1:3.0.1-47.el9_1'),
      ssl('ALSA-2024:2447', 'db-1', '1:3.0.7-27.el9'),
      finding('CVE-2026-0001', { assetId: 'dev-1', name: 'bash', fixedVersion: undefined }),
      finding('CVE-2026-0002', { assetId: 'dev-1', name: 'zlib', status: 'fixed' }),
    ];
    const q = buildPatchQueue({
      findings: [...findings, findings[1]!],
      assets: ASSETS,
      policy: withException,
      now: NOW,
    });
    expect(q.summary).toMatchObject({
      findings: 5,
      open: 3,
      closed: 1,
      duplicates: 1,
      queued: 1,
      suppressed: 1,
      withoutFix: 1,
    });
    expect(q.suppressed.map((s) => [s.id, s.exceptions])).toEqual([['ALSA-2023:0946', ['EXC-1']]]);
    expect(q.withoutFix.map((f) => f.id)).toEqual(['CVE-2026-0001']);
    const [item] = q.items;
    // The suppressed finding is closed by this upgrade too: counted on the item, not in its risk.
    expect(item?.suppressed.map((s) => s.id)).toEqual(['ALSA-2023:0946']);
    expect(item?.riskRemoved.contributions.map((c) => c.vulnerability)).toEqual(['ALSA-2024:2447']);
    expect(item?.explanation.join('\n')).toContain('1 suppressed finding(s)');
  });

  it('refuses a finding whose asset is unknown, naming it', () => {
    expect(() => queue([ssl('ALSA-1', 'ghost', '1:3.0.7-27.el9')])).toThrow(PatchwardenError);
    expect(() => queue([ssl('ALSA-1', 'ghost', '1:3.0.7-27.el9')])).toThrow(/findings\[0\]\.assetId/);
  });
});

describe('buildPatchQueue: ranking and disruption', () => {
  it('ranks by risk removed per unit of disruption; a reboot and production cost more', () => {
    const q = queue([
      finding('CVE-A', {
        assetId: 'web-1',
        name: 'kernel-core',
        sourceName: 'kernel',
        fixedVersion: '5.14.0-503.el9',
        severity: 'critical',
      }),
      finding('CVE-B', { assetId: 'web-1', name: 'curl', fixedVersion: '7.76.1-31.el9', severity: 'high' }),
      finding('CVE-C', { assetId: 'dev-1', name: 'curl', fixedVersion: '7.76.1-31.el9', severity: 'high' }),
    ]);
    const kernel = q.items.find((i) => i.packageName === 'kernel')!;
    const curl = q.items.find((i) => i.packageName === 'curl')!;
    expect(kernel.disruption).toMatchObject({
      score: 6,
      rebootLikely: true,
      rebootPattern: 'kernel',
      productionAssets: 1,
    });
    expect(curl.disruption).toMatchObject({ score: 3, rebootLikely: false, assets: 2, productionAssets: 1 });
    expect(kernel.ratio).toBeCloseTo(kernel.riskRemoved.total / 6, 2);
    expect(q.items.map((i) => i.ratio)).toEqual([...q.items.map((i) => i.ratio)].sort((a, b) => b - a));
    expect(kernel.explanation[3]).toMatch(/^disruption 1 asset\(s\) x 1, 1 in production x2; reboot likely/);
  });

  it('breaks ties on the earlier due date', () => {
    const q = queue([
      finding('CVE-L', {
        assetId: 'dev-1',
        name: 'less',
        fixedVersion: '590-2.el9',
        firstSeen: '2026-01-10T00:00:00Z',
      }),
      finding('CVE-M', {
        assetId: 'dev-1',
        name: 'more',
        fixedVersion: '590-2.el9',
        firstSeen: '2026-01-02T00:00:00Z',
      }),
    ]);
    expect(q.items[0]!.ratio).toBe(q.items[1]!.ratio);
    expect(q.items.map((i) => i.packageName)).toEqual(['more', 'less']);
  });
});

describe('buildPatchQueue: due dates, windows, approval', () => {
  it('due date: the earliest over the findings; the window: the first that ends by it', () => {
    const q = queue([
      ssl('ALSA-1', 'web-1', '1:3.0.7-27.el9', {
        assetId: 'web-1',
        severity: 'critical',
        firstSeen: '2026-01-01T00:00:00Z',
      }),
      ssl('ALSA-2', 'web-1', '1:3.0.7-27.el9', { assetId: 'web-1', severity: 'high' }),
    ]);
    const [item] = q.items;
    expect(item?.due).toBe(item?.assets[0]?.due);
    expect(item?.dueFinding).toContain('ALSA-');
    expect(item?.assets[0]?.slot).toMatchObject({
      mode: 'window',
      windowId: 'sun',
      windowStart: '2026-01-25T02:00:00+00:00',
    });
    expect(q.windowLoad).toEqual([
      {
        windowId: 'sun',
        start: '2026-01-25T02:00:00+00:00',
        end: '2026-01-25T06:00:00+00:00',
        patches: 1,
        jobs: 1,
        assets: 1,
      },
    ]);
  });

  it('a due date before the first window: predicted breach in that window', () => {
    const urgent = policy({ ...spec, slas: [{ name: 'fast', days: 17 }] });
    const q = buildPatchQueue({
      findings: [ssl('ALSA-1', 'web-1', '1:3.0.7-27.el9')],
      assets: ASSETS,
      policy: urgent,
      now: NOW,
    });
    const plan = q.items[0]!.assets[0]!;
    expect(plan.due).toBe('2026-01-22T00:00:00Z');
    expect(plan.slot.windowId).toBe('sun');
    expect(plan.predictedBreach).toBe(true);
    expect(plan.explanation).toContain('predicted SLA breach: done by 2026-01-25T06:00:00Z');
    expect(q.summary.predictedBreaches).toBe(1);
  });

  it('prefers a later-starting window that still ends by the due date', () => {
    const twoWindows = policy({
      ...spec,
      slas: [{ name: 'fast', days: 16.5 }],
      windows: [
        { id: 'long', timeZone: 'UTC', recurrence: { cron: '0 20 21 1 *' }, durationMinutes: 1440 },
        { id: 'short', timeZone: 'UTC', recurrence: { cron: '0 22 21 1 *' }, durationMinutes: 60 },
      ],
      windowAssignments: [{ assets: 'env:production', windows: ['long', 'short'] }],
    });
    const q = buildPatchQueue({
      findings: [ssl('ALSA-1', 'web-1', '1:3.0.7-27.el9')],
      assets: ASSETS,
      policy: twoWindows,
      now: NOW,
    });
    const plan = q.items[0]!.assets[0]!;
    expect(plan.due).toBe('2026-01-21T12:00:00Z');
    // Neither ends by noon on the 21st: the first to open is taken, and a breach predicted.
    expect(plan.slot.windowId).toBe('long');
    const later = policy(
      { ...twoWindows, spec: { ...twoWindows.spec, slas: [{ name: 'fast', days: 17 }] } }.spec,
    );
    const q2 = buildPatchQueue({
      findings: [ssl('ALSA-1', 'web-1', '1:3.0.7-27.el9')],
      assets: ASSETS,
      policy: later,
      now: NOW,
    });
    expect(q2.items[0]!.assets[0]!.slot.windowId).toBe('short');
    expect(q2.items[0]!.assets[0]!.predictedBreach).toBe(false);
  });

  it('no window assigned: no restriction; auto-approval later: scheduled from then; a person: not scheduled', () => {
    const q = queue(
      [
        finding('CVE-D', { assetId: 'dev-1', name: 'curl', fixedVersion: '7.76.1-31.el9' }),
        ssl('ALSA-NEW', 'web-1', '1:3.0.7-27.el9'),
        finding('CVE-K', {
          assetId: 'web-1',
          name: 'kernel-core',
          sourceName: 'kernel',
          fixedVersion: '5.14.0-503.el9',
          severity: 'critical',
        }),
      ],
      { publishedAt: (id) => (id === 'ALSA-NEW' ? '2026-01-20T00:00:00Z' : undefined) },
    );
    const plan = (pkg: string) => q.items.find((i) => i.packageName === pkg)!.assets[0]!;
    expect(plan('curl').slot).toMatchObject({ mode: 'anytime', plannedAt: NOW });
    expect(plan('openssl').approval).toMatchObject({ state: 'pending', approvesAt: '2026-01-27T00:00:00Z' });
    // The Sunday after approval.
    expect(plan('openssl').slot).toMatchObject({ mode: 'window', windowStart: '2026-02-01T02:00:00+00:00' });
    expect(plan('kernel').approval).toMatchObject({ state: 'pending', rule: 'rule:kernel' });
    expect(plan('kernel').slot.mode).toBe('unscheduled');
    expect(plan('kernel').predictedBreach).toBe(true);
  });

  it('an emergency that overrides windows: approved, at once, outside windows, due compressed; exceptions ignored', () => {
    const emergencyDoc = policy({
      ...spec,
      exceptions: [
        {
          id: 'EXC-SSL',
          scope: { packages: ['openssl'] },
          reason: 'r',
          compensatingControl: 'c',
          approver: 'a',
          createdAt: '2026-01-01T00:00:00Z',
          expiresAt: '2026-06-01T00:00:00Z',
        },
      ],
      emergencies: [
        {
          id: 'EMG-1',
          patch: { package: 'openssl' },
          declaredAt: '2026-01-20T12:00:00Z',
          deadlineHours: 36,
          overrideWindows: true,
          reason: 'worm',
        },
      ],
    });
    const q = buildPatchQueue({
      findings: [ssl('ALSA-1', 'web-1', '1:3.0.7-27.el9'), ssl('ALSA-1', 'web-2', '1:3.0.7-27.el9')],
      assets: ASSETS,
      policy: emergencyDoc,
      now: NOW,
    });
    expect(q.summary).toMatchObject({ suppressed: 0, queued: 2, emergencyPatches: 1 });
    const [item] = q.items;
    expect(item).toMatchObject({
      emergencies: ['EMG-1'],
      due: '2026-01-22T00:00:00Z',
      approval: { state: 'approved' },
    });
    expect(item?.assets[0]?.slot).toMatchObject({ mode: 'emergency-override', plannedAt: NOW });
    expect(item?.assets[0]?.predictedBreach).toBe(false);
    expect(q.windowLoad).toEqual([]);
  });

  it("a person's risk acceptance suppresses like an exception, and an emergency overrides it", () => {
    const accepted = (assetId: string) => ({
      ...ssl('ALSA-1', assetId, '1:3.0.7-27.el9'),
      status: 'risk-accepted' as const,
      acceptance: { by: 'mallory', reason: 'vendor appliance, cannot patch' },
    });
    const calm = queue([accepted('web-1'), ssl('ALSA-1', 'web-2', '1:3.0.7-27.el9')]);
    expect(calm.summary).toMatchObject({ open: 2, queued: 1, suppressed: 1 });
    expect(calm.suppressed[0]).toMatchObject({ assetId: 'web-1', exceptions: ['risk-accepted:mallory'] });
    expect(calm.suppressed[0]?.explanation).toContain(
      'suppressed: risk accepted by mallory (vendor appliance, cannot patch)',
    );

    const emergencyDoc = policy({
      ...spec,
      emergencies: [
        {
          id: 'EMG-1',
          patch: { package: 'openssl' },
          declaredAt: '2026-01-20T12:00:00Z',
          deadlineHours: 36,
          overrideWindows: true,
          reason: 'worm',
        },
      ],
    });
    const brutal = queue([accepted('web-1'), ssl('ALSA-1', 'web-2', '1:3.0.7-27.el9')], {
      policy: emergencyDoc,
    });
    expect(brutal.summary).toMatchObject({ open: 2, queued: 2, suppressed: 0, emergencyPatches: 1 });
    const onWeb1 = brutal.items[0]?.findings.find((f) => f.assetId === 'web-1');
    expect(onWeb1?.explanation).toContain(
      'risk accepted by mallory (vendor appliance, cannot patch) ignored: emergency EMG-1 in force',
    );
    expect(brutal.items[0]?.assets.map((a) => a.assetId).sort()).toEqual(['web-1', 'web-2']);

    // A false positive is a correction, not an opt-out: it stays closed even in an emergency.
    const wrong = queue([{ ...ssl('ALSA-1', 'web-1', '1:3.0.7-27.el9'), status: 'false-positive' }], {
      policy: emergencyDoc,
    });
    expect(wrong.summary).toMatchObject({ open: 0, closed: 1, queued: 0 });
  });

  it('approval per baseline: mixed when asset groups disagree', () => {
    const q = queue([
      finding('CVE-X', {
        assetId: 'web-1',
        name: 'kernel-core',
        sourceName: 'kernel',
        fixedVersion: '5.14.0-503.el9',
      }),
      finding('CVE-X', {
        assetId: 'dev-1',
        name: 'kernel-core',
        sourceName: 'kernel',
        fixedVersion: '5.14.0-503.el9',
      }),
    ]);
    expect(q.items[0]?.approval).toEqual({
      state: 'mixed',
      groups: [
        { baseline: 'production', state: 'pending', rule: 'rule:kernel', assetIds: ['web-1'] },
        { baseline: 'rest', state: 'approved', rule: 'rule:all', assetIds: ['dev-1'] },
      ],
    });
  });

  it('explains every item and every asset plan', () => {
    const q = queue([
      ssl('ALSA-1', 'web-1', '1:3.0.7-27.el9'),
      finding('CVE-D', { assetId: 'dev-1', name: 'curl', fixedVersion: '7.76.1-31.el9' }),
    ]);
    for (const item of q.items) {
      expect(item.explanation[0]).toMatch(
        /^upgrade \S+ to \S+ \(AlmaLinux:9\): closes 1 finding\(s\) of 1 vulnerability on 1 asset\(s\)$/,
      );
      expect(item.explanation.some((line) => line.startsWith('approval '))).toBe(true);
      for (const plan of item.assets) expect(plan.explanation).toMatch(/^due \S+ \(\S+\); /);
      for (const f of item.findings)
        expect(f.explanation).toMatch(/^risk [\d.]+ \((critical|high|medium|low|none)\); due /);
    }
  });
});
