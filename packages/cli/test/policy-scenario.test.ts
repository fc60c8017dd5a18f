/**
 * Patch policy on real data: a small fleet built from a real AlmaLinux 9.0 host inventory (Vuls
 * scan, shared data), matched by the core matcher against the real AlmaLinux 9 OSV feed and the
 * real CISA KEV catalogue (committed fixtures), under a policy written here as YAML: baselines,
 * SLAs, a maintenance window, an exception that has expired at `now`, one still in force, and an
 * emergency for one real CVE (CVE-2023-0286, OpenSSL's X.400 type confusion, fixed by
 * ALSA-2023:0946) that an exception also covers. Skipped when ../shared/data is absent.
 */
import { describe, expect, it } from 'vitest';
import type { Advisory, Asset, Finding, PolicyFinding } from '@patchwarden/core';
import {
  AdvisoryIndex,
  assembleHost,
  buildPatchQueue,
  matchPackages,
  parseCompiledPolicyYaml,
  parsePolicyYaml,
  PatchwardenError,
  simulatePolicyChange,
} from '@patchwarden/core';
import { importFeeds, IntelStore } from '@patchwarden/feeds';
import { parseInventoryFile } from '@patchwarden/inventory';
import { fixturePath, sharedDataPath } from '../../../test-support/shared-data.ts';

const INVENTORY = sharedDataPath('inventory/vuls-scan-results/alma_9.json');
const FEED = fixturePath('feeds/almalinux9-osv.jsonl.gz');
const KEV = fixturePath('kev/known_exploited_vulnerabilities.json.gz');

// A Wednesday, after the newest erratum in the feed (2026-08-20); the fleet was first scanned
// on 24 August.
const NOW = '2026-09-02T10:00:00Z';
const FIRST_SEEN = '2026-08-24T00:00:00Z';

const POLICY_YAML = `apiVersion: patchwarden/v1
kind: PatchPolicy
metadata:
  name: alma-fleet
spec:
  baselines:
    - name: production
      assets: env:production
      rules:
        - name: kernel
          match: { packages: [kernel] }
        - name: security
          match: { patchTypes: [security] }
          autoApproveAfterDays: 7
    - name: rest
      rules:
        - name: everything
          autoApproveAfterDays: 0
  slas:
    - name: kev
      when: { kev: true }
      days: 2
      kevDueDate: true
    - name: high-severity
      when: { severityAtLeast: high }
      days: 30
    - name: medium-severity
      when: { severityAtLeast: medium }
      days: 90
    - name: everything
      days: 180
  windows:
    - id: prod-sunday
      timeZone: Europe/Berlin
      recurrence:
        rrule: |-
          DTSTART:20260104T020000
          RRULE:FREQ=WEEKLY;BYDAY=SU
      durationMinutes: 240
  windowAssignments:
    - assets: env:production
      windows: [prod-sunday]
  exceptions:
    - id: EXC-SUDO-OLD
      scope: { assets: env:production, packages: [sudo] }
      reason: sudoers rewrite pending
      compensatingControl: no interactive logins on production
      approver: ciso@example.org
      createdAt: "2026-06-01T00:00:00Z"
      expiresAt: "2026-09-01T00:00:00Z"
    - id: EXC-DB-OPENSSL
      scope: { assets: "name:db-*", packages: ["openssl*"] }
      reason: database vendor certifies one OpenSSL build
      compensatingControl: database port reachable from the app tier only
      approver: ciso@example.org
      createdAt: "2026-08-25T00:00:00Z"
      expiresAt: "2026-11-25T00:00:00Z"
    - id: DEF-DEV-KERNEL
      kind: deferral
      scope: { assets: env:development, packages: [kernel] }
      reason: dev kernels follow the next image
      approver: ops@example.org
      createdAt: "2026-08-25T00:00:00Z"
      expiresAt: "2026-10-01T00:00:00Z"
  emergencies:
    - id: EMG-0286
      cve: CVE-2023-0286
      declaredAt: "2026-09-01T12:00:00Z"
      deadlineHours: 48
      overrideWindows: true
      reason: X.400 type confusion exploited against our TLS terminators
`;

const FLEET: Asset[] = [
  {
    id: 'web-1',
    name: 'web-1',
    kind: 'server',
    ips: [],
    macs: [],
    services: ['https'],
    tags: [],
    assetClasses: ['os'],
    sources: ['agent'],
    environment: 'production',
    exposure: 'internet',
    businessImpact: 5,
    dataSensitivity: 'confidential',
    timeZone: 'Europe/Berlin',
  },
  {
    id: 'db-1',
    name: 'db-1',
    kind: 'server',
    ips: [],
    macs: [],
    services: ['postgresql'],
    tags: [],
    assetClasses: ['os'],
    sources: ['agent'],
    environment: 'production',
    exposure: 'internal',
    businessImpact: 4,
    dataSensitivity: 'restricted',
  },
  {
    id: 'dev-1',
    name: 'dev-1',
    kind: 'server',
    ips: [],
    macs: [],
    services: [],
    tags: [],
    assetClasses: ['os'],
    sources: ['agent'],
    environment: 'development',
    exposure: 'internal',
    businessImpact: 2,
    dataSensitivity: 'internal',
  },
];

async function fleetFindings(): Promise<{
  findings: PolicyFinding[];
  advisories: Map<string, Advisory>;
  hostFindings: Finding[];
}> {
  const store = new IntelStore();
  const statuses = await importFeeds(store, [FEED, KEV]);
  expect(statuses.every((s) => s.ok)).toBe(true);
  const advisories = new Map([...store.advisories()].map((a) => [a.id, a]));
  const host = assembleHost([await parseInventoryFile(INVENTORY as string)], INVENTORY as string);
  expect(host.osEcosystem).toBe('AlmaLinux:9');
  // Content-addressed fleet: three hosts built from one image share its inventory.
  const report = matchPackages(host.packages, AdvisoryIndex.from([...advisories.values()]), store);
  const findings = FLEET.flatMap((asset) =>
    report.findings.map((finding): PolicyFinding => ({
      ...finding,
      assetId: asset.id,
      firstSeen: FIRST_SEEN,
      status: 'open',
    })),
  );
  return { findings, advisories, hostFindings: report.findings };
}

describe.skipIf(!INVENTORY)('patch policy on a real AlmaLinux 9 fleet', () => {
  it('queues, schedules, suppresses and escalates as the policy says', async () => {
    const { findings, advisories, hostFindings } = await fleetFindings();
    const policy = parseCompiledPolicyYaml(POLICY_YAML, 'policy-scenario.yaml');
    const started = performance.now();
    const queue = buildPatchQueue({
      findings,
      assets: FLEET,
      policy,
      now: NOW,
      publishedAt: (id) => advisories.get(id)?.published,
    });
    const ms = Math.round(performance.now() - started);
    const s = queue.summary;
    console.log(
      `alma 9 fleet: ${hostFindings.length} findings per host x 3 hosts; queue built in ${ms} ms: ` +
        `${s.patches} patches, ${s.assetJobs} asset jobs, ${s.queued} queued, ${s.suppressed} suppressed, ` +
        `${s.withoutFix} without fix, ${s.predictedBreaches} predicted breaches, ${s.breachedNow} already breached`,
    );
    console.log(
      queue.items
        .slice(0, 8)
        .map(
          (i) =>
            `  ${i.id} ratio ${i.ratio} risk ${i.riskRemoved.total} disruption ${i.disruption.score} due ${i.due} ${i.approval.state}`,
        )
        .join('\n'),
    );
    expect(s.open).toBe(findings.length);
    expect(s.queued + s.suppressed + s.withoutFix).toBe(findings.length);

    // The expired exception no longer suppresses: sudo is queued on production again.
    const sudo = queue.items.filter((i) => i.packageName === 'sudo');
    expect(sudo.flatMap((i) => i.assets.map((a) => a.assetId)).sort()).toEqual(['db-1', 'dev-1', 'web-1']);
    const sudoOnWeb = sudo.flatMap((i) => i.findings).find((f) => f.assetId === 'web-1');
    expect(sudoOnWeb?.explanation).toContain('reopened: exception EXC-SUDO-OLD expired 2026-09-01T00:00:00Z');
    expect(queue.suppressed.some((f) => f.packageName === 'sudo')).toBe(false);

    // The deferral in force suppresses the dev kernel, and only there.
    const kernelSuppressed = queue.suppressed.filter((f) => f.packageName.startsWith('kernel'));
    expect(new Set(kernelSuppressed.map((f) => f.assetId))).toEqual(new Set(['dev-1']));
    expect(kernelSuppressed.every((f) => f.exceptions.includes('DEF-DEV-KERNEL'))).toBe(true);

    // The emergency: CVE-2023-0286 (ALSA-2023:0946) is due 48 h after its declaration, its
    // exception on db-1 is ignored, approval is forced and the windows are overridden.
    const emergencyItems = queue.items.filter((i) => i.emergencies.includes('EMG-0286'));
    expect(emergencyItems.length).toBeGreaterThan(0);
    const emergencyAssets = emergencyItems.flatMap((i) => i.assets.filter((a) => a.emergency));
    expect(emergencyAssets.map((a) => a.assetId).sort()).toEqual(['db-1', 'dev-1', 'web-1']);
    for (const plan of emergencyAssets) {
      expect(plan.due).toBe('2026-09-03T12:00:00Z');
      expect(plan.approval).toMatchObject({ state: 'approved', rule: 'emergency:EMG-0286' });
      expect(plan.slot).toMatchObject({ mode: 'emergency-override', plannedAt: '2026-09-02T10:00:00Z' });
      expect(plan.predictedBreach).toBe(false);
    }
    const dbEmergency = emergencyItems.flatMap((i) => i.findings).filter((f) => f.assetId === 'db-1');
    expect(dbEmergency.map((f) => f.id)).toContain('ALSA-2023:0946');
    expect(dbEmergency[0]?.explanation).toContain('EXC-DB-OPENSSL');
    expect(dbEmergency[0]?.explanation).toContain('ignored: emergency EMG-0286 in force');
    // Without the emergency the same finding would be due 90 days after first sighting (medium).
    expect(dbEmergency[0]?.explanation).toContain('first seen 2026-08-24T00:00:00Z + 90 days');
    // The rest of db-1's OpenSSL findings stay suppressed by the exception.
    const dbOpensslSuppressed = queue.suppressed.filter(
      (f) => f.assetId === 'db-1' && f.packageName.startsWith('openssl'),
    );
    expect(dbOpensslSuppressed.length).toBeGreaterThan(0);
    expect(dbOpensslSuppressed.some((f) => f.id === 'ALSA-2023:0946')).toBe(false);

    // KEV findings (kernel, gcc, nghttp2 errata) carry CISA's long-past due dates: breached.
    const kevItems = queue.items.filter((i) =>
      i.findings.some((f) => hostFindings.find((h) => h.id === f.id)?.kev),
    );
    expect(kevItems.map((i) => i.packageName).sort()).toEqual(['gcc', 'kernel', 'nghttp2']);
    for (const item of kevItems) expect(item.sla).toBe('breached');

    // Production patches fall in the Sunday window in Berlin; the kernel waits for a person.
    const curl = queue.items.find((i) => i.packageName === 'curl')!;
    const curlWeb = curl.assets.find((a) => a.assetId === 'web-1')!;
    expect(curl.due).toBe('2026-09-23T00:00:00Z');
    expect(curlWeb.slot).toMatchObject({
      mode: 'window',
      windowId: 'prod-sunday',
      windowStart: '2026-09-06T02:00:00+02:00',
    });
    expect(curl.assets.find((a) => a.assetId === 'dev-1')?.slot.mode).toBe('anytime');
    const kernel = queue.items.find((i) => i.packageName === 'kernel')!;
    expect(kernel.assets.map((a) => [a.assetId, a.approval.state, a.slot.mode]).sort()).toEqual([
      ['db-1', 'pending', 'unscheduled'],
      ['web-1', 'pending', 'unscheduled'],
    ]);
    expect(kernel.disruption.rebootLikely).toBe(true);

    // Sorted by risk removed per unit of disruption, ties on the earlier due date.
    for (let i = 1; i < queue.items.length; i++) {
      const [a, b] = [queue.items[i - 1]!, queue.items[i]!];
      expect(
        a.ratio > b.ratio ||
          (a.ratio === b.ratio && (a.dueEpochMs ?? Infinity) <= (b.dueEpochMs ?? Infinity)),
      ).toBe(true);
    }
    // The top of the queue: the kernel closes by far the most risk (well over a hundred errata,
    // some in KEV) and leads despite its reboot on two production hosts; then upgrades that need
    // no reboot, led by the ones that close the most.
    const [top, second] = queue.items as [(typeof queue.items)[0], (typeof queue.items)[0]];
    expect(top.id).toBe(kernel.id);
    expect(top.disruption.score).toBe(12);
    expect(top.vulnerabilities.length).toBeGreaterThan(100);
    expect(second.disruption).toMatchObject({ rebootLikely: false, score: 5 });
    expect(second.riskRemoved.total).toBeGreaterThan(queue.items[2]!.riskRemoved.total);
    for (const item of queue.items) expect(item.explanation.length).toBeGreaterThanOrEqual(7);

    // What-if: the high-severity SLA cut from 30 to 7 days.
    const proposed = parsePolicyYaml(POLICY_YAML.replace('days: 30', 'days: 7'), 'proposed.yaml');
    const whatIf = simulatePolicyChange(
      { findings, assets: FLEET, now: NOW, publishedAt: (id) => advisories.get(id)?.published },
      policy,
      proposed,
    );
    console.log(
      `what-if high 30 -> 7 days: ${JSON.stringify({ ...whatIf.summary, busiestWindowBefore: undefined, busiestWindowAfter: undefined })}`,
    );
    expect(whatIf.summary.dueEarlier).toBeGreaterThan(0);
    expect(whatIf.summary.dueLater).toBe(0);
    // First seen 24 August + 7 days is already past: every asset of every patch whose due date
    // moved is now a predicted breach.
    for (const change of whatIf.patches.filter((p) => (p.dueShiftHours ?? 0) < 0)) {
      expect(change.dueAfter).toBe('2026-08-31T00:00:00Z');
      expect(change.breachesAfter).toBe(whatIf.after.items.find((i) => i.id === change.id)?.assets.length);
    }
    expect(whatIf.summary.predictedBreachesAfter).toBeGreaterThan(whatIf.summary.predictedBreachesBefore);
    expect(whatIf.summary.breachesResolved).toBe(0);
  });
});

describe('the scenario policy', () => {
  it('parses, and is refused with a bad field, naming its path and line', () => {
    expect(parsePolicyYaml(POLICY_YAML, 'policy-scenario.yaml').spec.emergencies[0]?.cve).toBe(
      'CVE-2023-0286',
    );
    const bad = POLICY_YAML.replace('autoApproveAfterDays: 7', 'autoApproveAfterDays: 400');
    let error: unknown;
    try {
      parsePolicyYaml(bad, 'policy-scenario.yaml');
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(PatchwardenError);
    expect((error as PatchwardenError).details).toMatchObject({
      file: 'policy-scenario.yaml',
      field: 'spec.baselines[0].rules[1].autoApproveAfterDays',
      line: bad.split('\n').findIndex((l) => l.includes('autoApproveAfterDays: 400')) + 1,
    });
  });
});
