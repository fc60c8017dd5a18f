import { describe, expect, it } from 'vitest';
import { PatchwardenError } from '../errors/index.ts';
import { parsePolicyYaml } from './policy-document.ts';
import { addExceptionToYaml, exceptionDaysLeft, renewExceptionInYaml } from './policy-edits.ts';
import type { ExceptionSpec } from './policy-schema.ts';

const POLICY = `# Fleet policy, owned by the platform team.
apiVersion: patchwarden/v1
kind: PatchPolicy
metadata:
  name: fleet
spec:
  baselines: []
  slas:
    - name: all # everything within a month
      days: 30
  windows: []
  windowAssignments: []
  exceptions: [] # none yet
  emergencies: []
`;

const EXCEPTION: ExceptionSpec = {
  id: 'EXC-1',
  scope: { packages: ['openssl*'], assets: 'name:db-*' },
  reason: 'vendor certifies one build',
  compensatingControl: 'database port reachable from the app tier only',
  approver: 'ciso@example.org',
  createdAt: '2026-01-01T00:00:00Z',
  expiresAt: '2026-04-01T00:00:00Z',
};

function refused(run: () => unknown): PatchwardenError {
  try {
    run();
  } catch (error) {
    if (error instanceof PatchwardenError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('policy edits keep the author text', () => {
  it('adds an exception, keeping comments, the empty list growing into a block list', () => {
    const text = addExceptionToYaml(POLICY, EXCEPTION, 'fleet.yaml');
    expect(text).toContain('# Fleet policy, owned by the platform team.');
    expect(text).toContain('# everything within a month');
    const policy = parsePolicyYaml(text, 'fleet.yaml');
    expect(policy.spec.exceptions).toEqual([EXCEPTION]);
    expect(text).toMatch(/\n {2}exceptions:.*\n {4}- id: EXC-1\n/);
    const twice = addExceptionToYaml(text, { ...EXCEPTION, id: 'EXC-2' }, 'fleet.yaml');
    expect(parsePolicyYaml(twice, 'x').spec.exceptions.map((e) => e.id)).toEqual(['EXC-1', 'EXC-2']);
    expect(refused(() => addExceptionToYaml(text, EXCEPTION, 'fleet.yaml')).details['field']).toBe(
      'spec.exceptions.EXC-1',
    );
    const backwards = refused(() =>
      addExceptionToYaml(POLICY, { ...EXCEPTION, expiresAt: '2025-12-01T00:00:00Z' }, 'fleet.yaml'),
    );
    expect(backwards.details['field']).toBe('spec.exceptions.EXC-1.expiresAt');
    // A scope that names neither packages nor vulnerabilities is refused by the policy schema.
    expect(() =>
      addExceptionToYaml(POLICY, { ...EXCEPTION, scope: { assets: 'env:production' } }, 'fleet.yaml'),
    ).toThrow(PatchwardenError);
  });

  it('renews in place, counting renewals and refusing a lapsed exception', () => {
    const text = addExceptionToYaml(POLICY, EXCEPTION, 'fleet.yaml');
    const renewal = {
      expiresAt: '2026-07-01T00:00:00Z',
      approver: 'cto@example.org',
      at: '2026-03-20T00:00:00Z',
    };
    const { yaml, exception } = renewExceptionInYaml(text, 'EXC-1', renewal, 'fleet.yaml');
    expect(exception).toMatchObject({
      expiresAt: renewal.expiresAt,
      approver: 'cto@example.org',
      renewals: 1,
    });
    expect(parsePolicyYaml(yaml, 'x').spec.exceptions[0]).toEqual(exception);
    expect(yaml).toContain('# everything within a month');
    const lapsed = refused(() =>
      renewExceptionInYaml(text, 'EXC-1', { ...renewal, at: '2026-04-02T00:00:00Z' }, 'fleet.yaml'),
    );
    expect(lapsed.message).toContain('a lapsed exception is not renewed');
    expect(refused(() => renewExceptionInYaml(text, 'EXC-9', renewal, 'fleet.yaml')).details['field']).toBe(
      'spec.exceptions.EXC-9',
    );
    expect(exceptionDaysLeft(EXCEPTION, '2026-03-30T12:00:00Z')).toBe(1);
    expect(exceptionDaysLeft(EXCEPTION, '2026-04-02T00:00:00Z')).toBe(-1);
  });
});
