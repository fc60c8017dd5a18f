import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PatchwardenError } from '../errors/index.ts';
import { compilePolicy } from './compile-policy.ts';
import { DEFAULT_POLICY } from './default-policy.ts';
import { parsePolicyYaml, policyToYaml, validatePolicy } from './policy-document.ts';
import type { PolicyDocument } from './policy-schema.ts';
import { policy } from './testing/policy-fixtures.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const EXAMPLE_FILE = join(ROOT, 'examples', 'policy.yaml');
const EXAMPLE = readFileSync(EXAMPLE_FILE, 'utf8');

function refusal(run: () => unknown): PatchwardenError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(PatchwardenError);
    return error as PatchwardenError;
  }
  throw new Error('expected the policy to be refused');
}

/** The 1-based line of the first line of `text` that contains `needle`. */
function lineOf(text: string, needle: string, from = 0): number {
  const lines = text.split('\n');
  const index = lines.findIndex((line, i) => i >= from && line.includes(needle));
  expect(index, `"${needle}" in the YAML`).toBeGreaterThanOrEqual(0);
  return index + 1;
}

const MINIMAL = `apiVersion: patchwarden/v1
kind: PatchPolicy
metadata:
  name: minimal
spec:
  baselines:
    - name: prod
      assets: env:production
      rules:
        - name: security
          match: { patchTypes: [security] }
          autoApproveAfterDays: 7
    - name: rest
      rules:
        - name: all
          autoApproveAfterDays: 30
  slas:
    - name: critical
      when: { riskLevelAtLeast: critical }
      days: 7
  windows:
    - id: sunday
      timeZone: Europe/Berlin
      recurrence: { cron: "0 2 * * 0" }
      durationMinutes: 240
  windowAssignments:
    - assets: env:production
      windows: [sunday]
  exceptions:
    - id: EXC-1
      scope: { packages: [openssl] }
      reason: vendor lock
      compensatingControl: WAF
      approver: alice
      createdAt: "2026-01-01T00:00:00Z"
      expiresAt: "2026-02-01T00:00:00Z"
  emergencies: []
`;

describe('parsePolicyYaml: the annotated example', () => {
  it('parses examples/policy.yaml with every part present', () => {
    const doc = parsePolicyYaml(EXAMPLE, 'examples/policy.yaml');
    expect(doc.metadata.name).toBe('acme');
    expect(doc.spec.baselines.map((b) => b.name)).toEqual(['production', 'everything-else']);
    expect(doc.spec.slas.map((s) => [s.name, s.days])).toEqual([
      ['kev', 2],
      ['critical-internet-facing', 2],
      ['critical', 7],
      ['high', 30],
      ['medium', 90],
      ['low', 180],
    ]);
    expect(doc.spec.windows.map((w) => w.id)).toEqual([
      'prod-sunday-night',
      'patch-tuesday-plus-2',
      'dev-nightly',
    ]);
    expect(doc.spec.windows[0]?.recurrence).toEqual({
      rrule: 'DTSTART:20260104T020000\nRRULE:FREQ=WEEKLY;BYDAY=SU',
    });
    expect(doc.spec.exceptions.map((e) => e.kind)).toEqual(['exception', 'deferral']);
    expect(doc.spec.emergencies[0]).toMatchObject({
      cve: 'CVE-2024-3094',
      deadlineHours: 24,
      overrideWindows: true,
    });
  });

  it('round-trips: parse(policyToYaml(doc)) equals doc, and exporting twice gives the same text', () => {
    const doc = parsePolicyYaml(EXAMPLE, 'examples/policy.yaml');
    const yaml = policyToYaml(doc);
    const again = parsePolicyYaml(yaml, 'exported.yaml');
    expect(again).toEqual(doc);
    expect(policyToYaml(again)).toBe(yaml);
  });

  it('round-trips the defaults, and a minimal document', () => {
    expect(parsePolicyYaml(policyToYaml(DEFAULT_POLICY), 'default.yaml')).toEqual(DEFAULT_POLICY);
    const minimal = parsePolicyYaml(MINIMAL, 'minimal.yaml');
    expect(parsePolicyYaml(policyToYaml(minimal), 'minimal.yaml')).toEqual(minimal);
  });

  it('the README shows the example file verbatim', () => {
    const readme = readFileSync(join(ROOT, 'packages', 'core', 'src', 'policy', 'README.md'), 'utf8');
    const block = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(EXAMPLE);
  });
});

describe('parsePolicyYaml: refusals name the file, the field path and the line', () => {
  it('autoApproveAfterDays above 360', () => {
    const bad = MINIMAL.replace('autoApproveAfterDays: 30', 'autoApproveAfterDays: 361');
    const error = refusal(() => parsePolicyYaml(bad, 'policies/minimal.yaml'));
    expect(error.code).toBe('PW_ERR_INVALID_RECORD');
    expect(error.details).toMatchObject({
      file: 'policies/minimal.yaml',
      field: 'spec.baselines[1].rules[0].autoApproveAfterDays',
      line: lineOf(bad, 'autoApproveAfterDays: 361'),
    });
    expect(error.message).toMatch(
      /^policies\/minimal\.yaml:\d+: spec\.baselines\[1\]\.rules\[0\]\.autoApproveAfterDays: /,
    );
  });

  it('a misspelt key is an error at that key, not silently dropped', () => {
    const bad = MINIMAL.replace('autoApproveAfterDays: 7', 'autoApproveAfterDay: 7');
    const error = refusal(() => parsePolicyYaml(bad, 'p.yaml'));
    expect(error.details.field).toBe('spec.baselines[0].rules[0].autoApproveAfterDay');
    expect(error.details.line).toBe(lineOf(bad, 'autoApproveAfterDay: 7'));
    expect(error.message).toContain('unknown key "autoApproveAfterDay"');
  });

  it('a missing required field points at its parent', () => {
    const bad = MINIMAL.replace('      approver: alice\n', '');
    const error = refusal(() => parsePolicyYaml(bad, 'p.yaml'));
    expect(error.details.field).toBe('spec.exceptions[0].approver');
    expect(error.details.line).toBe(lineOf(bad, '- id: EXC-1'));
  });

  it('lists every shape problem, each with its line', () => {
    const bad = MINIMAL.replace('days: 7', 'days: -1').replace(
      'durationMinutes: 240',
      'durationMinutes: "4h"',
    );
    const error = refusal(() => parsePolicyYaml(bad, 'p.yaml'));
    const issues = error.details.issues as { field: string; line: number }[];
    expect(issues.map((i) => [i.field, i.line])).toEqual([
      ['spec.slas[0].days', lineOf(bad, 'days: -1')],
      ['spec.windows[0].durationMinutes', lineOf(bad, 'durationMinutes: "4h"')],
    ]);
  });

  it('wrong apiVersion or kind', () => {
    expect(
      refusal(() => parsePolicyYaml(MINIMAL.replace('patchwarden/v1', 'patchwarden/v2'), 'p.yaml')).details,
    ).toMatchObject({
      field: 'apiVersion',
      line: 1,
    });
    expect(
      refusal(() => parsePolicyYaml(MINIMAL.replace('PatchPolicy', 'Policy'), 'p.yaml')).details.field,
    ).toBe('kind');
  });

  it('YAML syntax errors and duplicate keys', () => {
    const broken = refusal(() =>
      parsePolicyYaml('apiVersion: [unclosed\nkind: PatchPolicy\n', 'broken.yaml'),
    );
    expect(broken.code).toBe('PW_ERR_INVALID_RECORD');
    expect(broken.details.file).toBe('broken.yaml');
    expect(broken.details.line).toBeGreaterThanOrEqual(1);
    const duplicate = refusal(() =>
      parsePolicyYaml(
        MINIMAL.replace('kind: PatchPolicy', 'kind: PatchPolicy\nkind: PatchPolicy'),
        'dup.yaml',
      ),
    );
    expect(duplicate.details).toMatchObject({ file: 'dup.yaml', line: 3 });
    expect(duplicate.message).toMatch(/unique/i);
  });

  it('a document that is not a mapping', () => {
    expect(refusal(() => parsePolicyYaml('- 1\n- 2\n', 'list.yaml')).details.field).toBe('(document)');
  });
});

describe('cross-field validation', () => {
  const cases: [string, (text: string) => string, string, string, RegExp][] = [
    [
      'an assignment names a window that does not exist',
      (t) => t.replace('windows: [sunday]', 'windows: [sunday, saturday]'),
      'spec.windowAssignments[0].windows[1]',
      'windows: [sunday, saturday]',
      /no window "saturday"/,
    ],
    [
      'an exception expires before it was created',
      (t) => t.replace('expiresAt: "2026-02-01T00:00:00Z"', 'expiresAt: "2025-12-01T00:00:00Z"'),
      'spec.exceptions[0].expiresAt',
      'expiresAt: "2025-12-01',
      /after createdAt/,
    ],
    [
      'an exception longer than a term',
      (t) => t.replace('expiresAt: "2026-02-01T00:00:00Z"', 'expiresAt: "2028-02-01T00:00:00Z"'),
      'spec.exceptions[0].expiresAt',
      'expiresAt: "2028',
      /366 days/,
    ],
    [
      'an exception without a scope of packages or vulnerabilities',
      (t) => t.replace('scope: { packages: [openssl] }', 'scope: { assets: "env:production" }'),
      'spec.exceptions[0].scope',
      'scope: {',
      /packages or vulnerabilities/,
    ],
    [
      'an exception without a compensating control',
      (t) => t.replace('      compensatingControl: WAF\n', ''),
      'spec.exceptions[0].compensatingControl',
      '- id: EXC-1',
      /required for an exception/,
    ],
    [
      'an asset filter that does not parse',
      (t) => t.replace('assets: env:production\n      rules', 'assets: production\n      rules'),
      'spec.baselines[0].assets',
      'assets: production',
      /invalid asset filter/,
    ],
    [
      'an unknown time zone in a window',
      (t) => t.replace('timeZone: Europe/Berlin', 'timeZone: Europe/Berlyn'),
      'spec.windows[0].timeZone',
      'timeZone: Europe/Berlyn',
      /Europe\/Berlyn/,
    ],
    [
      'a cron expression that does not parse',
      (t) => t.replace('"0 2 * * 0"', '"0 26 * * 0"'),
      'spec.windows[0].recurrence.cron',
      'recurrence:',
      /cron/i,
    ],
    [
      'an SLA rule with neither days nor kevDueDate',
      (t) => t.replace('      days: 7\n', ''),
      'spec.slas[0]',
      '- name: critical',
      /needs days/,
    ],
    [
      'duplicate baseline names',
      (t) => t.replace('- name: rest', '- name: prod'),
      'spec.baselines[1].name',
      '- name: prod',
      /duplicate baseline name/,
    ],
    [
      'a risk weight out of order',
      (t) => t.replace('spec:\n', 'spec:\n  riskWeights: { exposure: { isolated: 0.9 } }\n'),
      'spec.riskWeights.exposure.isolated',
      'riskWeights',
      /must not exceed/,
    ],
  ];
  for (const [name, mutate, field, at, message] of cases) {
    it(name, () => {
      const bad = mutate(MINIMAL);
      expect(bad).not.toBe(MINIMAL);
      const error = refusal(() => parsePolicyYaml(bad, 'p.yaml'));
      expect(error.code).toBe('PW_ERR_INVALID_RECORD');
      expect(error.details.field).toBe(field);
      expect(error.message).toMatch(message);
      expect(error.details.line).toBe(lineOf(bad, at, field.startsWith('spec.baselines[1]') ? 10 : 0));
    });
  }

  it('an emergency needs exactly one of cve and patch, and a deadline', () => {
    const base = policy();
    const both = policy({
      emergencies: [
        {
          id: 'E',
          cve: 'CVE-1',
          patch: { package: 'openssl' },
          declaredAt: '2026-01-01T00:00:00Z',
          deadlineHours: 24,
          overrideWindows: false,
          reason: 'r',
        },
      ],
    });
    expect(refusal(() => validatePolicy(both, 'api')).details).toMatchObject({
      field: 'spec.emergencies[0]',
      file: 'api',
    });
    const tooLong = structuredClone(both);
    delete tooLong.spec.emergencies[0]!.patch;
    tooLong.spec.emergencies[0]!.deadlineHours = 24 * 91;
    expect(refusal(() => validatePolicy(tooLong)).details.field).toBe('spec.emergencies[0].deadlineHours');
    expect(validatePolicy(base)).toEqual(base);
  });

  it('a classification rule with a broken pattern names its index', () => {
    const doc = policy({
      classificationRules: [{ id: 'x', description: 'd', when: { summaryPattern: '(' }, type: 'security' }],
    });
    expect(refusal(() => validatePolicy(doc)).details.field).toBe(
      'spec.classificationRules[0].when.summaryPattern',
    );
  });

  it('a bad field changes nothing: the input is not touched and nothing is returned', () => {
    const doc = structuredClone(DEFAULT_POLICY) as PolicyDocument;
    doc.spec.slas[0]!.days = 0;
    const before = JSON.stringify(doc);
    expect(refusal(() => compilePolicy(Object.freeze(doc))).details.field).toBe('spec.slas[0].days');
    expect(JSON.stringify(doc)).toBe(before);
  });

  it('API documents (no file) are validated the same way, without a line', () => {
    const error = refusal(() => validatePolicy({ ...DEFAULT_POLICY, metadata: { name: '' } }));
    expect(error.details).toMatchObject({ field: 'metadata.name', file: '(policy)' });
    expect(error.details.line).toBeUndefined();
  });
});
