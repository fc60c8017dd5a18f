import { describe, expect, it } from 'vitest';
import { PatchwardenError } from '../errors/errors.ts';
import { compileClassificationRules, DEFAULT_CLASSIFICATION_RULES } from './classification-rules.ts';
import type { ClassificationRule } from './classification-rules.ts';
import { PATCH_TYPES } from './patch-type.ts';

function errorOf(rules: unknown): PatchwardenError {
  try {
    compileClassificationRules(rules as ClassificationRule[]);
  } catch (error) {
    if (error instanceof PatchwardenError) return error;
    throw error;
  }
  throw new Error('expected a PatchwardenError');
}

const rule = (overrides: Partial<ClassificationRule> & Record<string, unknown>): ClassificationRule => ({
  id: 'r1',
  description: 'test rule',
  when: {},
  type: 'bugfix',
  ...overrides,
});

describe('DEFAULT_CLASSIFICATION_RULES', () => {
  it('compile, have unique ids, use every patch type and end with a catch-all', () => {
    const compiled = compileClassificationRules(DEFAULT_CLASSIFICATION_RULES);
    expect(compiled).toHaveLength(DEFAULT_CLASSIFICATION_RULES.length);
    expect(new Set(DEFAULT_CLASSIFICATION_RULES.map((r) => r.id)).size).toBe(
      DEFAULT_CLASSIFICATION_RULES.length,
    );
    expect(new Set(DEFAULT_CLASSIFICATION_RULES.map((r) => r.type))).toEqual(new Set(PATCH_TYPES));
    expect(DEFAULT_CLASSIFICATION_RULES.at(-1)).toMatchObject({ id: 'fallback-bugfix', when: {} });
    expect(Object.isFrozen(DEFAULT_CLASSIFICATION_RULES[0]?.when)).toBe(true);
  });

  it('are plain data: a JSON round trip compiles to the same patterns', () => {
    const copy = JSON.parse(JSON.stringify(DEFAULT_CLASSIFICATION_RULES)) as ClassificationRule[];
    const a = compileClassificationRules(copy).map((r) => [
      r.rule.id,
      r.advisoryId?.source,
      r.summary?.source,
    ]);
    const b = compileClassificationRules(DEFAULT_CLASSIFICATION_RULES).map((r) => [
      r.rule.id,
      r.advisoryId?.source,
      r.summary?.source,
    ]);
    expect(a).toEqual(b);
  });

  it('match security ids at the start only, case-insensitively', () => {
    const security = compileClassificationRules(DEFAULT_CLASSIFICATION_RULES)[0]?.advisoryId as RegExp;
    for (const id of [
      'CVE-2024-4577',
      'GHSA-jf85-cpcp-j695',
      'ALSA-2024:1903',
      'RHSA-2024:1903',
      'DSA-5678-1',
      'DLA-3000-1',
      'USN-7095-1',
      'UBUNTU-CVE-2024-1',
      'ALAS2-2025-2941',
      'GO-2022-0001',
      'PYSEC-2021-1',
      'openSUSE-SU-2024:0001-1',
      'usn-1-1',
    ]) {
      expect(security.test(id), id).toBe(true);
    }
    for (const id of ['ALBA-2022:8256', 'RHBA-2024:1', 'ALEA-2023:1', 'XCVE-2024-1', 'FEDORA-2024-abc']) {
      expect(security.test(id), id).toBe(false);
    }
  });
});

describe('compileClassificationRules: validation', () => {
  it('names the rule and the field of every mistake', () => {
    const cases: [unknown, string, string][] = [
      [[rule({ when: { summaryPattern: '(' } })], 'r1', 'when.summaryPattern'],
      [[rule({ when: { advisoryIdPattern: '' } })], 'r1', 'when.advisoryIdPattern'],
      [[rule({ when: { packagePattern: 'a'.repeat(501) } })], 'r1', 'when.packagePattern'],
      [[rule({ type: 'hotfix' as 'bugfix' })], 'r1', 'type'],
      [[rule({ when: { severityAtLeast: 'severe' as 'high' } })], 'r1', 'when.severityAtLeast'],
      [[rule({ when: { hasCve: 'yes' as unknown as boolean } })], 'r1', 'when.hasCve'],
      [[rule({ when: { ecosystem: '' } })], 'r1', 'when.ecosystem'],
      [[rule({ when: { summary: 'x' } as unknown as ClassificationRule['when'] })], 'r1', 'when.summary'],
      [[rule({ priority: 1 })], 'r1', 'priority'],
      [[rule({ when: [] as unknown as ClassificationRule['when'] })], 'r1', 'when'],
      [[rule({ description: 3 as unknown as string })], 'r1', 'description'],
      [[rule({}), rule({})], 'r1', 'id'],
      [[rule({ id: '' })], '#0', 'id'],
      [[rule({}), null], '#1', 'rule'],
    ];
    for (const [rules, record, field] of cases) {
      const error = errorOf(rules);
      expect(error.code, field).toBe('PW_ERR_INVALID_RECORD');
      expect(error.details, field).toMatchObject({ record, field });
    }
    expect(errorOf({}).details.field).toBe('rules');
  });
});
