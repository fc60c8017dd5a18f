/**
 * Validates a policy document completely (shape by the zod schema, then every cross-field rule)
 * and compiles it once for evaluation: asset filters parsed, globs turned into regular
 * expressions, instants into epoch milliseconds, windows resolved by id. A policy that compiles
 * can be evaluated without further input errors; one that does not is refused as a whole with
 * PW_ERR_INVALID_RECORD naming the exact field path (`spec.exceptions[0].expiresAt`).
 */
import type { AssetClass } from '../assets/asset.ts';
import { globRegExp, parseAssetFilter } from '../assets/asset-filter.ts';
import type { AssetFilter } from '../assets/asset-filter.ts';
import { PatchwardenError } from '../errors/errors.ts';
import { createPatchClassifier } from '../patches/classify-patch.ts';
import type { PatchClassifier } from '../patches/classify-patch.ts';
import { DEFAULT_CLASSIFICATION_RULES } from '../patches/classification-rules.ts';
import type { ClassificationRule } from '../patches/classification-rules.ts';
import { DEFAULT_RISK_WEIGHTS, riskWeightsWith } from '../risk/risk-weights.ts';
import type { RiskWeightOverrides, RiskWeights } from '../risk/risk-weights.ts';
import { validateWindowSpecs } from '../schedule/maintenance-window.ts';
import type { MaintenanceWindowSpec } from '../schedule/maintenance-window.ts';
import type { Cadence } from '../schedule/patch-schedule.ts';
import { schemeForEcosystem } from '../versions/registry.ts';
import { DEFAULT_DISRUPTION } from './disruption.ts';
import type { DisruptionModel } from './disruption.ts';
import { fieldPath, policyError } from './policy-error.ts';
import type { PolicyIssue } from './policy-error.ts';
import { policyDocumentSchema } from './policy-schema.ts';
import type {
  ApprovalRuleSpec,
  BaselineSpec,
  EmergencySpec,
  ExceptionSpec,
  PolicyConditions,
  PolicyDocument,
  SlaRuleSpec,
  WindowAssignmentSpec,
} from './policy-schema.ts';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** One exception term is at most a year (plus a leap day); a longer acceptance must be renewed. */
export const MAX_EXCEPTION_TERM_DAYS = 366;
export const DEFAULT_MAX_RENEWALS = 2;
export const DEFAULT_DUE_SOON_DAYS = 3;
export const DEFAULT_SCHEDULE_ANCHOR = '2000-01-03';

export interface CompiledConditions {
  spec: PolicyConditions;
  field: string;
  assets?: AssetFilter;
  packages?: { pattern: string; regex: RegExp }[];
  /** Lower-cased. */
  ecosystems?: string[];
}

export interface CompiledPatchRef {
  text: string;
  /** Upper-cased: the reference read as a vulnerability id. Absent when it can only be a package. */
  vulnerabilityId?: string;
  ecosystem?: string;
  packageRegex: RegExp;
  versionRegex?: RegExp;
}

export interface CompiledApprovalRule {
  spec: ApprovalRuleSpec;
  field: string;
  match: CompiledConditions;
}

export interface CompiledBaseline {
  spec: BaselineSpec;
  field: string;
  assets?: AssetFilter;
  rules: CompiledApprovalRule[];
  approved: CompiledPatchRef[];
  rejected: CompiledPatchRef[];
}

export interface CompiledSlaRule {
  spec: SlaRuleSpec;
  field: string;
  when: CompiledConditions;
}

export interface CompiledAssignment {
  spec: WindowAssignmentSpec;
  field: string;
  index: number;
  assets: AssetFilter;
  windows: MaintenanceWindowSpec[];
}

export interface CompiledException {
  spec: ExceptionSpec;
  field: string;
  assets?: AssetFilter;
  packages?: RegExp[];
  /** Upper-cased ids. */
  vulnerabilities?: Set<string>;
  createdMs: number;
  expiresMs: number;
}

export interface CompiledEmergency {
  spec: EmergencySpec;
  field: string;
  /** Upper-cased. */
  cve?: string;
  declaredMs: number;
  deadlineMs: number;
  liftedMs?: number;
}

export interface CompiledPolicy {
  readonly compiled: true;
  document: PolicyDocument;
  weights: RiskWeights;
  baselines: CompiledBaseline[];
  slaRules: CompiledSlaRule[];
  dueSoonDays: number;
  cadences: Partial<Record<AssetClass, Cadence>>;
  anchorDate: string;
  windows: ReadonlyMap<string, MaintenanceWindowSpec>;
  assignments: CompiledAssignment[];
  exceptions: CompiledException[];
  emergencies: CompiledEmergency[];
  classifier: PatchClassifier;
  disruption: DisruptionModel;
}

function reframe(error: unknown, prefix: string, fallbackField: string): never {
  if (error instanceof PatchwardenError) {
    const inner = typeof error.details.field === 'string' ? error.details.field : '';
    const field = inner === '' ? fallbackField : `${prefix}${inner.startsWith('[') ? '' : '.'}${inner}`;
    const message = error.message.startsWith(`${inner}: `)
      ? error.message.slice(inner.length + 2)
      : error.message;
    throw policyError(field, message, error);
  }
  throw error;
}

function filterAt(text: string | undefined, field: string): AssetFilter | undefined {
  if (text === undefined) return undefined;
  try {
    return parseAssetFilter(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw policyError(field, `invalid asset filter: ${message}`, error);
  }
}

function globs(patterns: readonly string[]): { pattern: string; regex: RegExp }[] {
  return patterns.map((pattern) => ({ pattern, regex: globRegExp(pattern) }));
}

export function compileConditions(spec: PolicyConditions | undefined, field: string): CompiledConditions {
  const conditions = spec ?? {};
  const compiled: CompiledConditions = { spec: conditions, field };
  const assets = filterAt(conditions.assets, `${field}.assets`);
  if (assets) compiled.assets = assets;
  if (conditions.packages) compiled.packages = globs(conditions.packages);
  if (conditions.ecosystems) compiled.ecosystems = conditions.ecosystems.map((e) => e.toLowerCase());
  return compiled;
}

/**
 * `CVE-2024-3094`, `ALSA-2024:1234` (a vulnerability id, or a package of that name), `openssl`,
 * `openssl@1:3.0.7-27.el9`, `AlmaLinux:9/openssl@1:3.0.7-27.el9`, `npm/@babel/core@7.0.0`.
 */
export function compilePatchRef(text: string, field: string): CompiledPatchRef {
  let rest = text.trim();
  let ecosystem: string | undefined;
  const slash = rest.indexOf('/');
  if (slash > 0 && !rest.slice(0, slash).includes('@')) {
    ecosystem = rest.slice(0, slash);
    rest = rest.slice(slash + 1);
  }
  let version: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at > 0) {
    version = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (version === '') throw policyError(field, `"${text}" has an empty version after @`);
  }
  if (rest === '') throw policyError(field, `"${text}" names no package`);
  const ref: CompiledPatchRef = { text, packageRegex: globRegExp(rest) };
  if (ecosystem !== undefined) ref.ecosystem = ecosystem;
  if (version !== undefined) ref.versionRegex = globRegExp(version);
  if (ecosystem === undefined && version === undefined) ref.vulnerabilityId = rest.toUpperCase();
  return ref;
}

function unique(names: readonly string[], field: (index: number) => string, what: string): void {
  const seen = new Set<string>();
  names.forEach((name, index) => {
    if (seen.has(name)) throw policyError(field(index), `duplicate ${what} "${name}"`);
    seen.add(name);
  });
}

function compileBaseline(spec: BaselineSpec, field: string): CompiledBaseline {
  unique(
    spec.rules.map((rule) => rule.name),
    (i) => `${field}.rules[${i}].name`,
    'rule name',
  );
  const baseline: CompiledBaseline = {
    spec,
    field,
    rules: spec.rules.map((rule, i) => ({
      spec: rule,
      field: `${field}.rules[${i}]`,
      match: compileConditions(rule.match, `${field}.rules[${i}].match`),
    })),
    approved: (spec.approvedPatches ?? []).map((ref, i) =>
      compilePatchRef(ref, `${field}.approvedPatches[${i}]`),
    ),
    rejected: (spec.rejectedPatches ?? []).map((ref, i) =>
      compilePatchRef(ref, `${field}.rejectedPatches[${i}]`),
    ),
  };
  const assets = filterAt(spec.assets, `${field}.assets`);
  if (assets) baseline.assets = assets;
  return baseline;
}

function compileSlaRule(spec: SlaRuleSpec, field: string): CompiledSlaRule {
  if (spec.days === undefined && spec.kevDueDate !== true) {
    throw policyError(field, 'an SLA rule needs days, kevDueDate: true, or both');
  }
  return { spec, field, when: compileConditions(spec.when, `${field}.when`) };
}

function compileException(spec: ExceptionSpec, field: string): CompiledException {
  const createdMs = Date.parse(spec.createdAt);
  const expiresMs = Date.parse(spec.expiresAt);
  if (!(expiresMs > createdMs)) {
    throw policyError(`${field}.expiresAt`, `must be after createdAt (${spec.createdAt})`);
  }
  const renewals = spec.renewals ?? 0;
  const maxRenewals = spec.maxRenewals ?? DEFAULT_MAX_RENEWALS;
  if (renewals > maxRenewals) {
    throw policyError(`${field}.renewals`, `${renewals} renewals exceed maxRenewals (${maxRenewals})`);
  }
  const maxDays = MAX_EXCEPTION_TERM_DAYS * (renewals + 1);
  if (expiresMs - createdMs > maxDays * DAY_MS) {
    throw policyError(
      `${field}.expiresAt`,
      `is more than ${maxDays} days after createdAt: an exception lasts at most ${MAX_EXCEPTION_TERM_DAYS} days per term (renew it instead)`,
    );
  }
  const { scope } = spec;
  if (scope.packages === undefined && scope.vulnerabilities === undefined) {
    throw policyError(
      `${field}.scope`,
      'must name packages or vulnerabilities: an exception never covers every finding of an asset',
    );
  }
  if ((spec.kind ?? 'exception') === 'exception' && spec.compensatingControl === undefined) {
    throw policyError(
      `${field}.compensatingControl`,
      'is required for an exception (a deferral may go without one)',
    );
  }
  const compiled: CompiledException = { spec, field, createdMs, expiresMs };
  const assets = filterAt(scope.assets, `${field}.scope.assets`);
  if (assets) compiled.assets = assets;
  if (scope.packages) compiled.packages = scope.packages.map((p) => globRegExp(p));
  if (scope.vulnerabilities) {
    compiled.vulnerabilities = new Set(scope.vulnerabilities.map((id) => id.toUpperCase()));
  }
  return compiled;
}

function compileEmergency(spec: EmergencySpec, field: string): CompiledEmergency {
  if ((spec.cve === undefined) === (spec.patch === undefined)) {
    throw policyError(field, 'must name exactly one of cve or patch');
  }
  const declaredMs = Date.parse(spec.declaredAt);
  const compiled: CompiledEmergency = {
    spec,
    field,
    declaredMs,
    deadlineMs: declaredMs + spec.deadlineHours * HOUR_MS,
  };
  if (spec.cve !== undefined) compiled.cve = spec.cve.toUpperCase();
  if (spec.liftedAt !== undefined) {
    const liftedMs = Date.parse(spec.liftedAt);
    if (!(liftedMs > declaredMs)) {
      throw policyError(`${field}.liftedAt`, `must be after declaredAt (${spec.declaredAt})`);
    }
    compiled.liftedMs = liftedMs;
  }
  const patch = spec.patch;
  if (patch?.ecosystem !== undefined && patch.fixedVersion !== undefined) {
    const scheme = schemeForEcosystem(patch.ecosystem);
    if (scheme && !scheme.isValid(patch.fixedVersion)) {
      throw policyError(
        `${field}.patch.fixedVersion`,
        `"${patch.fixedVersion}" is not a valid ${scheme.id} version`,
      );
    }
  }
  return compiled;
}

function compileClassification(rules: readonly ClassificationRule[] | undefined): PatchClassifier {
  try {
    return createPatchClassifier(rules ?? DEFAULT_CLASSIFICATION_RULES);
  } catch (error) {
    if (error instanceof PatchwardenError && rules) {
      const index = rules.findIndex((rule) => rule.id === error.details.record);
      const inner = typeof error.details.field === 'string' ? error.details.field : '';
      const field =
        index < 0
          ? 'spec.classificationRules'
          : `spec.classificationRules[${index}]${inner ? `.${inner}` : ''}`;
      throw policyError(field, error.message, error);
    }
    throw error;
  }
}

function compileWeights(overrides: Record<string, unknown> | undefined): RiskWeights {
  if (overrides === undefined) return DEFAULT_RISK_WEIGHTS;
  try {
    return riskWeightsWith(overrides as RiskWeightOverrides);
  } catch (error) {
    return reframe(error, 'spec.riskWeights', 'spec.riskWeights');
  }
}

/** Shape problems, each with its field path; empty when the document has the right shape. */
export function policyShapeIssues(document: unknown): { issues: PolicyIssue[]; document?: PolicyDocument } {
  const result = policyDocumentSchema.safeParse(document);
  if (result.success) return { issues: [], document: result.data };
  return {
    issues: result.error.issues.map((issue) => {
      if (issue.code === 'unrecognized_keys') {
        const key = issue.keys[0] ?? '';
        return {
          field: fieldPath([...issue.path, key]),
          message: `unknown key "${key}"${issue.keys.length > 1 ? ` (and ${issue.keys.slice(1).join(', ')})` : ''}`,
        };
      }
      return { field: fieldPath(issue.path) || '(document)', message: issue.message };
    }),
  };
}

/**
 * Validates `document` (a value read from YAML or JSON) and compiles it. Throws PW_ERR_INVALID_RECORD
 * for the first problem; `details.issues` lists every shape problem found.
 */
export function compilePolicy(document: unknown): CompiledPolicy {
  const shape = policyShapeIssues(document);
  if (!shape.document) {
    const [first] = shape.issues as [PolicyIssue];
    const error = policyError(first.field, first.message);
    error.details.issues = shape.issues;
    throw error;
  }
  const doc = shape.document;
  const { spec } = doc;

  const weights = compileWeights(spec.riskWeights);
  unique(
    spec.baselines.map((b) => b.name),
    (i) => `spec.baselines[${i}].name`,
    'baseline name',
  );
  const baselines = spec.baselines.map((b, i) => compileBaseline(b, `spec.baselines[${i}]`));
  unique(
    spec.slas.map((r) => r.name),
    (i) => `spec.slas[${i}].name`,
    'SLA rule name',
  );
  const slaRules = spec.slas.map((r, i) => compileSlaRule(r, `spec.slas[${i}]`));

  try {
    validateWindowSpecs(spec.windows, 'windows');
  } catch (error) {
    reframe(error, 'spec', 'spec.windows');
  }
  const windows = new Map<string, MaintenanceWindowSpec>(
    spec.windows.map((w) => [w.id, w as MaintenanceWindowSpec]),
  );
  const assignments = (spec.windowAssignments ?? []).map((assignment, index): CompiledAssignment => {
    const field = `spec.windowAssignments[${index}]`;
    return {
      spec: assignment,
      field,
      index,
      assets: filterAt(assignment.assets, `${field}.assets`) as AssetFilter,
      windows: assignment.windows.map((id, j) => {
        const window = windows.get(id);
        if (!window) {
          const known = [...windows.keys()];
          throw policyError(
            `${field}.windows[${j}]`,
            `no window "${id}" in spec.windows${known.length ? ` (known: ${known.join(', ')})` : ''}`,
          );
        }
        return window;
      }),
    };
  });

  unique(
    spec.exceptions.map((e) => e.id),
    (i) => `spec.exceptions[${i}].id`,
    'exception id',
  );
  const exceptions = spec.exceptions.map((e, i) => compileException(e, `spec.exceptions[${i}]`));
  unique(
    spec.emergencies.map((e) => e.id),
    (i) => `spec.emergencies[${i}].id`,
    'emergency id',
  );
  const emergencies = spec.emergencies.map((e, i) => compileEmergency(e, `spec.emergencies[${i}]`));
  const classifier = compileClassification(spec.classificationRules as ClassificationRule[] | undefined);

  const disruption: DisruptionModel = { ...DEFAULT_DISRUPTION, ...(spec.disruption ?? {}) };
  return {
    compiled: true,
    document: doc,
    weights,
    baselines,
    slaRules,
    dueSoonDays: spec.dueSoonDays ?? DEFAULT_DUE_SOON_DAYS,
    cadences: (spec.schedules?.cadences ?? {}) as Partial<Record<AssetClass, Cadence>>,
    anchorDate: spec.schedules?.anchorDate ?? DEFAULT_SCHEDULE_ANCHOR,
    windows,
    assignments,
    exceptions,
    emergencies,
    classifier,
    disruption,
  };
}

/** A compiled policy as is; a document compiled (and so validated). */
export function asCompiledPolicy(policy: PolicyDocument | CompiledPolicy): CompiledPolicy {
  return (policy as Partial<CompiledPolicy>).compiled === true
    ? (policy as CompiledPolicy)
    : compilePolicy(policy);
}
