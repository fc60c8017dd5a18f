import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Asset } from '../assets/asset.ts';
import { compilePolicy } from './compile-policy.ts';
import { effectiveExceptions } from './exceptions.ts';
import { decideFinding } from './finding-decision.ts';
import { buildPatchQueue } from './patch-queue.ts';
import { findingKey } from './policy-finding.ts';
import type { PolicyFinding } from './policy-finding.ts';
import type { EmergencySpec, ExceptionSpec, PolicyDocument, SlaRuleSpec } from './policy-schema.ts';
import { asset, finding, policy } from './testing/policy-fixtures.ts';

const NOW_MS = Date.parse('2026-02-01T00:00:00Z');
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

const ASSETS: Asset[] = [
  asset('web-1', { environment: 'production', exposure: 'internet', businessImpact: 5 }),
  asset('db-1', { environment: 'production', exposure: 'internal', businessImpact: 4, tags: ['pci'] }),
  asset('dev-1', { environment: 'development', exposure: 'isolated', businessImpact: 2 }),
  asset('legacy-1', { environment: 'production', assetClasses: ['firmware'] }),
];
const PACKAGES = [
  { name: 'openssl-libs', sourceName: 'openssl' },
  { name: 'openssl', sourceName: 'openssl' },
  { name: 'curl' },
  { name: 'kernel-core', sourceName: 'kernel' },
  { name: 'bash' },
];
const VERSIONS = ['1.0-1.el9', '1.0-2.el9', '1.1-1.el9', '2.0-1.el9'];
const IDS = ['CVE-2026-0001', 'CVE-2026-0002', 'CVE-2026-0003', 'ALSA-2026:0004', 'CVE-2026-0005'];
const SEVERITIES = ['critical', 'high', 'medium', 'low', 'unknown'] as const;

const instantAround = (daysBefore: number, daysAfter: number) =>
  fc.integer({ min: -daysBefore * 24, max: daysAfter * 24 }).map((hours) => iso(NOW_MS + hours * 3_600_000));

const findingArb: fc.Arbitrary<PolicyFinding> = fc
  .record({
    id: fc.constantFrom(...IDS),
    assetId: fc.constantFrom(...ASSETS.map((a) => a.id)),
    pkg: fc.constantFrom(...PACKAGES),
    fixed: fc.option(fc.constantFrom(...VERSIONS), { nil: undefined, freq: 5 }),
    severity: fc.constantFrom(...SEVERITIES),
    kevDue: fc.option(fc.integer({ min: -60, max: 60 }), { nil: undefined, freq: 3 }),
    epss: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
    firstSeen: instantAround(120, 0),
    status: fc.constantFrom('open', 'open', 'open', 'fixed' as const),
  })
  .map(({ id, assetId, pkg, fixed, severity, kevDue, epss, firstSeen, status }) =>
    finding(id, {
      assetId,
      name: pkg.name,
      ...(pkg.sourceName ? { sourceName: pkg.sourceName } : {}),
      version: '0.9-1.el9',
      fixedVersion: fixed,
      severity,
      firstSeen,
      status: status as PolicyFinding['status'],
      ...(kevDue === undefined
        ? {}
        : {
            kev: {
              dateAdded: '2025-06-01',
              dueDate: iso(NOW_MS + kevDue * DAY).slice(0, 10),
              knownRansomwareCampaignUse: 'Unknown',
            },
          }),
      ...(epss === undefined ? {} : { epss: { score: epss } }),
    }),
  );

const slaArb: fc.Arbitrary<SlaRuleSpec[]> = fc.uniqueArray(
  fc.record(
    {
      name: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
      when: fc.constantFrom(
        {},
        { kev: true },
        { severityAtLeast: 'high' as const },
        { riskLevelAtLeast: 'medium' as const },
        { assets: 'exposure:internet' },
        { packages: ['openssl*'] },
      ),
      days: fc.double({ min: 0.1, max: 365, noNaN: true }),
      kevDueDate: fc.boolean(),
    },
    { requiredKeys: ['name', 'when', 'days'] },
  ),
  { selector: (rule) => rule.name, maxLength: 5 },
);

const exceptionArb = (expired: boolean): fc.Arbitrary<ExceptionSpec> =>
  fc
    .record({
      id: fc.constantFrom('X1', 'X2', 'X3'),
      scope: fc.constantFrom<ExceptionSpec['scope']>(
        { packages: ['*'] },
        { packages: ['openssl'] },
        { vulnerabilities: ['CVE-2026-0001'] },
        { assets: 'env:production', packages: ['curl', 'kernel*'] },
      ),
      startDaysAgo: fc.integer({ min: 1, max: 300 }),
      lengthDays: fc.integer({ min: 1, max: 300 }),
    })
    .map(({ id, scope, startDaysAgo, lengthDays }) => {
      const created = NOW_MS - startDaysAgo * DAY;
      // Expired: ends at or before now; otherwise anything, including still in force.
      const expires = expired ? Math.min(created + lengthDays * DAY, NOW_MS) : created + lengthDays * DAY;
      return {
        id,
        kind: 'deferral' as const,
        scope,
        reason: 'property',
        approver: 'prop',
        createdAt: iso(created),
        expiresAt: iso(Math.max(expires, created + 1000)),
      };
    })
    .filter((e) => !expired || Date.parse(e.expiresAt) <= NOW_MS);

const emergencyArb: fc.Arbitrary<EmergencySpec> = fc
  .record({
    target: fc.constantFrom<Pick<EmergencySpec, 'cve' | 'patch'>>(
      { cve: 'CVE-2026-0001' },
      { cve: 'CVE-2026-0003' },
      { patch: { package: 'openssl' } },
      { patch: { ecosystem: 'AlmaLinux', package: 'curl', fixedVersion: '1.1-1.el9' } },
    ),
    declaredHoursAgo: fc.integer({ min: -48, max: 24 * 30 }),
    deadlineHours: fc.integer({ min: 1, max: 24 * 90 }),
    overrideWindows: fc.boolean(),
  })
  .map(({ target, declaredHoursAgo, deadlineHours, overrideWindows }) => ({
    id: 'EMG',
    ...target,
    declaredAt: iso(NOW_MS - declaredHoursAgo * 3_600_000),
    deadlineHours,
    overrideWindows,
    reason: 'property',
  }));

const baseSpec = (slas: SlaRuleSpec[]): Partial<PolicyDocument['spec']> => ({
  baselines: [
    {
      name: 'prod',
      assets: 'env:production',
      rules: [{ name: 'sec', match: { patchTypes: ['security'] }, autoApproveAfterDays: 3 }],
    },
    { name: 'rest', rules: [{ name: 'all', autoApproveAfterDays: 0 }] },
  ],
  slas,
  windows: [
    { id: 'sun', timeZone: 'Europe/Berlin', recurrence: { cron: '0 2 * * 0' }, durationMinutes: 240 },
  ],
  windowAssignments: [{ assets: 'env:production', windows: ['sun'] }],
});

const assetOf = (f: PolicyFinding): Asset => ASSETS.find((a) => a.id === f.assetId) as Asset;
const dueOf = (f: PolicyFinding, doc: ReturnType<typeof compilePolicy>) =>
  decideFinding({ finding: f, asset: assetOf(f), now: NOW_MS }, doc).dueEpochMs;

describe('policy properties', () => {
  it('a shorter SLA never makes a due date later', () => {
    fc.assert(
      fc.property(
        fc.array(findingArb, { minLength: 1, maxLength: 8 }),
        slaArb.filter((rules) => rules.length > 0),
        fc.nat(),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        (findings, slas, pick, factor) => {
          const index = pick % slas.length;
          const shorter = slas.map((rule, i) =>
            i === index ? { ...rule, days: Math.max(0.01, (rule.days as number) * factor) } : rule,
          );
          const before = compilePolicy(policy(baseSpec(slas)));
          const after = compilePolicy(policy(baseSpec(shorter)));
          for (const f of findings) {
            const b = dueOf(f, before);
            const a = dueOf(f, after);
            if (b !== undefined) {
              expect(a).toBeDefined();
              expect(a as number).toBeLessThanOrEqual(b);
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('an emergency never makes a due date later', () => {
    fc.assert(
      fc.property(
        fc.array(findingArb, { minLength: 1, maxLength: 8 }),
        slaArb,
        emergencyArb,
        (findings, slas, emergency) => {
          const before = compilePolicy(policy(baseSpec(slas)));
          const after = compilePolicy(policy({ ...baseSpec(slas), emergencies: [emergency] }));
          for (const f of findings) {
            const b = dueOf(f, before);
            const a = dueOf(f, after);
            if (b !== undefined) expect(a as number).toBeLessThanOrEqual(b);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('an expired exception never suppresses (and is reported as expired when it covers the finding)', () => {
    fc.assert(
      fc.property(findingArb, exceptionArb(true), (f, exception) => {
        const doc = compilePolicy(policy({ exceptions: [exception] }));
        const verdict = effectiveExceptions({ finding: f, asset: assetOf(f), now: NOW_MS }, doc);
        expect(verdict.suppressed).toBe(false);
        expect(verdict.active).toEqual([]);
        expect(verdict.expired.length).toBeLessThanOrEqual(1);
      }),
      { numRuns: 200 },
    );
  });

  it('the queue covers every open unsuppressed finding exactly once', () => {
    fc.assert(
      fc.property(
        fc.array(findingArb, { maxLength: 25 }),
        slaArb,
        fc.uniqueArray(exceptionArb(false), { selector: (e) => e.id, maxLength: 3 }),
        fc.option(emergencyArb, { nil: undefined }),
        (findings, slas, exceptions, emergency) => {
          const doc = compilePolicy(
            policy({ ...baseSpec(slas), exceptions, emergencies: emergency ? [emergency] : [] }),
          );
          const q = buildPatchQueue({ findings, assets: ASSETS, policy: doc, now: NOW_MS });
          const expectedOpen = new Set<string>();
          const expectedSuppressed = new Set<string>();
          for (const f of findings) {
            if (f.status !== 'open') continue;
            const decision = decideFinding({ finding: f, asset: assetOf(f), now: NOW_MS }, doc);
            (decision.suppressed ? expectedSuppressed : expectedOpen).add(findingKey(f));
          }
          const queued = [
            ...q.items.flatMap((i) => i.findings.map((x) => x.key)),
            ...q.withoutFix.map((x) => x.key),
          ];
          expect(queued.length).toBe(new Set(queued).size);
          expect(new Set(queued)).toEqual(expectedOpen);
          expect(new Set(q.suppressed.map((s) => s.key))).toEqual(expectedSuppressed);
          expect(q.summary.open).toBe(expectedOpen.size + expectedSuppressed.size);
          // Every item's asset plans hold exactly its findings.
          for (const item of q.items) {
            expect(item.assets.flatMap((a) => a.findings).sort()).toEqual(
              item.findings.map((x) => x.key).sort(),
            );
            expect(item.ratio).toBeGreaterThanOrEqual(0);
          }
          for (let i = 1; i < q.items.length; i++)
            expect(q.items[i - 1]!.ratio).toBeGreaterThanOrEqual(q.items[i]!.ratio);
        },
      ),
      { numRuns: 80 },
    );
  });
});
