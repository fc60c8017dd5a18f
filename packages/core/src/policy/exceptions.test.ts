import { describe, expect, it } from 'vitest';
import { PatchwardenError } from '../errors/index.ts';
import { DEFAULT_POLICY } from './default-policy.ts';
import { effectiveExceptions, renewException } from './exceptions.ts';
import { decideFinding } from './finding-decision.ts';
import type { ExceptionSpec } from './policy-schema.ts';
import { asset, finding, policy } from './testing/policy-fixtures.ts';

const legacy = asset('legacy-1', { environment: 'production' });
const web = asset('web-1', { environment: 'production' });

const opensslException: ExceptionSpec = {
  id: 'EXC-1',
  kind: 'exception',
  scope: { assets: 'name:legacy-*', packages: ['openssl*'] },
  reason: 'vendor certified build',
  compensatingControl: 'TLS terminated upstream',
  approver: 'ciso',
  createdAt: '2026-01-10T00:00:00Z',
  expiresAt: '2026-02-10T00:00:00Z',
};
const cveDeferral: ExceptionSpec = {
  id: 'DEF-1',
  kind: 'deferral',
  scope: { vulnerabilities: ['CVE-2023-0286'] },
  reason: 'next image rebuild',
  approver: 'ops',
  createdAt: '2026-01-10T00:00:00Z',
  expiresAt: '2026-01-20T00:00:00Z',
};
const doc = policy({ slas: DEFAULT_POLICY.spec.slas, exceptions: [opensslException, cveDeferral] });
const sslFinding = finding('ALSA-2023:0946', {
  assetId: 'legacy-1',
  name: 'openssl-libs',
  sourceName: 'openssl',
  relatedCves: ['CVE-2023-0286'],
});

describe('effectiveExceptions', () => {
  it('suppresses while in force, from createdAt up to (not including) expiresAt', () => {
    const at = (now: string) => effectiveExceptions({ finding: sslFinding, asset: legacy, now }, doc);
    const early = at('2026-01-09T23:59:59Z');
    expect(early.suppressed).toBe(false);
    expect(early.upcoming.map((e) => e.id)).toEqual(['EXC-1', 'DEF-1']);
    const during = at('2026-01-15T00:00:00Z');
    expect(during.suppressed).toBe(true);
    expect(during.active.map((e) => e.id)).toEqual(['EXC-1', 'DEF-1']);
    expect(during.explanation).toContain('suppressed by exception EXC-1 (approved by ciso');
    const lapsedDeferral = at('2026-01-20T00:00:00Z');
    expect(lapsedDeferral).toMatchObject({
      suppressed: true,
      expired: [{ id: 'DEF-1' }],
      active: [{ id: 'EXC-1' }],
    });
    const reopened = at('2026-02-10T00:00:00Z');
    expect(reopened.suppressed).toBe(false);
    expect(reopened.expired.map((e) => e.id)).toEqual(['EXC-1', 'DEF-1']);
    expect(reopened.explanation).toMatch(/^reopened: exception EXC-1 expired 2026-02-10T00:00:00Z/);
  });

  it('scope: asset filter x package glob (source or binary name) or vulnerability id (any alias)', () => {
    const now = '2026-01-15T00:00:00Z';
    // Same package on an asset outside the filter: only the CVE deferral applies.
    expect(
      effectiveExceptions({ finding: sslFinding, asset: web, now }, doc).active.map((e) => e.id),
    ).toEqual(['DEF-1']);
    const other = finding('ALSA-2024:0001', { assetId: 'legacy-1', name: 'curl' });
    expect(effectiveExceptions({ finding: other, asset: legacy, now }, doc).suppressed).toBe(false);
    const aliased = finding('GHSA-xxxx', { assetId: 'web-1', name: 'curl', aliases: ['CVE-2023-0286'] });
    expect(effectiveExceptions({ finding: aliased, asset: web, now }, doc).active.map((e) => e.id)).toEqual([
      'DEF-1',
    ]);
  });

  it('both scope parts must hold when both are given', () => {
    const narrow: ExceptionSpec = {
      ...cveDeferral,
      id: 'DEF-2',
      scope: { packages: ['curl'], vulnerabilities: ['CVE-2023-0286'] },
    };
    const narrowDoc = policy({ exceptions: [narrow] });
    const now = '2026-01-15T00:00:00Z';
    expect(effectiveExceptions({ finding: sslFinding, asset: legacy, now }, narrowDoc).suppressed).toBe(
      false,
    );
    const curl = finding('CVE-2023-0286', { assetId: 'legacy-1', name: 'curl' });
    expect(effectiveExceptions({ finding: curl, asset: legacy, now }, narrowDoc).suppressed).toBe(true);
  });

  it('an emergency in force overrides every exception', () => {
    const emergencyDoc = policy({
      exceptions: [opensslException],
      emergencies: [
        {
          id: 'EMG-1',
          cve: 'CVE-2023-0286',
          declaredAt: '2026-01-12T00:00:00Z',
          deadlineHours: 48,
          overrideWindows: false,
          reason: 'exploited',
        },
      ],
    });
    const before = effectiveExceptions(
      { finding: sslFinding, asset: legacy, now: '2026-01-11T00:00:00Z' },
      emergencyDoc,
    );
    expect(before.suppressed).toBe(true);
    const after = effectiveExceptions(
      { finding: sslFinding, asset: legacy, now: '2026-01-15T00:00:00Z' },
      emergencyDoc,
    );
    expect(after).toMatchObject({ suppressed: false, overriddenBy: ['EMG-1'], active: [{ id: 'EXC-1' }] });
    expect(after.explanation).toContain('ignored: emergency EMG-1 in force');
  });

  it('the SLA clock keeps running: an exception never moves the due date', () => {
    const withException = decideFinding(
      { finding: sslFinding, asset: legacy, now: '2026-01-15T00:00:00Z' },
      doc,
    );
    const without = decideFinding(
      { finding: sslFinding, asset: legacy, now: '2026-01-15T00:00:00Z' },
      policy({ slas: DEFAULT_POLICY.spec.slas }),
    );
    expect(withException.suppressed).toBe(true);
    expect(without.suppressed).toBe(false);
    expect(withException.due).toBeDefined();
    expect(withException.due).toBe(without.due);
    // Reopened after expiry: the same due date, now long past.
    const reopened = decideFinding({ finding: sslFinding, asset: legacy, now: '2026-12-01T00:00:00Z' }, doc);
    expect(reopened).toMatchObject({ suppressed: false, due: without.due, status: 'breached' });
  });
});

describe('renewException', () => {
  it('extends by up to a term, counts the renewal and records the approver', () => {
    const renewed = renewException(opensslException, {
      expiresAt: '2026-05-10T00:00:00Z',
      approver: 'cto',
      at: '2026-02-01T00:00:00Z',
    });
    expect(renewed).toMatchObject({ expiresAt: '2026-05-10T00:00:00Z', approver: 'cto', renewals: 1 });
    expect(opensslException.renewals).toBeUndefined();
  });

  it('refuses a lapsed exception, a shorter term, too long a term and one renewal too many', () => {
    const renew =
      (spec: ExceptionSpec, expiresAt: string, at = '2026-02-01T00:00:00Z') =>
      () =>
        renewException(spec, { expiresAt, approver: 'cto', at });
    expect(renew(opensslException, '2026-05-10T00:00:00Z', '2026-02-10T00:00:00Z')).toThrow(/lapsed/);
    expect(renew(opensslException, '2026-02-01T00:00:00Z')).toThrow(/must be after/);
    expect(renew(opensslException, '2027-02-12T00:00:00Z')).toThrow(/more than one term/);
    const exhausted = { ...opensslException, renewals: 2 };
    expect(renew(exhausted, '2026-03-10T00:00:00Z')).toThrow(PatchwardenError);
    expect(renew(exhausted, '2026-03-10T00:00:00Z')).toThrow(/already renewed 2 of 2/);
  });
});
