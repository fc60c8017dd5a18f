import { describe, expect, it } from 'vitest';
import { compilePatchRef, compilePolicy } from './compile-policy.ts';
import { DEFAULT_POLICY } from './default-policy.ts';

describe('compilePatchRef', () => {
  it.each([
    ['CVE-2024-3094', { vulnerabilityId: 'CVE-2024-3094' }],
    ['openssl', { vulnerabilityId: 'OPENSSL' }],
    ['openssl@1:3.0.7-27.el9', { version: '1:3.0.7-27.el9' }],
    ['AlmaLinux:9/openssl@1:3.0.7-*', { ecosystem: 'AlmaLinux:9', version: '1:3.0.7-*' }],
    ['npm/@babel/core@7.0.0', { ecosystem: 'npm', pkg: '@babel/core', version: '7.0.0' }],
    ['@babel/core', { pkg: '@babel/core', vulnerabilityId: '@BABEL/CORE' }],
  ])('%s', (text, expected) => {
    const ref = compilePatchRef(text, 'f');
    expect(ref.vulnerabilityId).toBe('vulnerabilityId' in expected ? expected.vulnerabilityId : undefined);
    expect(ref.ecosystem).toBe('ecosystem' in expected ? expected.ecosystem : undefined);
    if ('pkg' in expected) expect(ref.packageRegex.test(expected.pkg.toLowerCase())).toBe(true);
    if ('version' in expected) expect(ref.versionRegex?.test(expected.version.replace('*', '5'))).toBe(true);
  });

  it('refuses an empty package or version', () => {
    expect(() => compilePatchRef('openssl@', 'spec.x[0]')).toThrow(/empty version/);
    expect(() => compilePatchRef('npm/', 'spec.x[0]')).toThrow(/names no package/);
  });
});

describe('compilePolicy', () => {
  it('compiles the defaults with the default weights and classifier', () => {
    const compiled = compilePolicy(DEFAULT_POLICY);
    expect(compiled.slaRules.map((r) => r.field)).toEqual([0, 1, 2, 3, 4, 5].map((i) => `spec.slas[${i}]`));
    expect(compiled.slaRules[1]?.when.assets?.terms[0]).toMatchObject({
      field: 'exposure',
      values: ['internet'],
    });
    expect(compiled.dueSoonDays).toBe(3);
    expect(compiled.classifier.rules.length).toBeGreaterThan(5);
  });
});
