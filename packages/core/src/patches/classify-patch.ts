/**
 * Classifies a patch (one package upgraded to a fixed version, closing the findings of one or
 * more advisories) by the first classification rule that holds, unless a person overrode it.
 * The result says which applied and why; recording the override in the audit log is the
 * store's job.
 */
import { pwError } from '../errors/errors.ts';
import type { Advisory } from '../intel/advisory.ts';
import { allIds, cveIdsOf } from '../intel/advisory.ts';
import type { SeverityLabel } from '../matching/finding.ts';
import { SEVERITY_RANK } from '../matching/finding.ts';
import { resolveSeverity } from '../matching/severity.ts';
import { instantMs } from '../risk/instant.ts';
import { compileClassificationRules, DEFAULT_CLASSIFICATION_RULES } from './classification-rules.ts';
import type { ClassificationRule, CompiledClassificationRule } from './classification-rules.ts';
import { PATCH_TYPES } from './patch-type.ts';
import type { PatchType } from './patch-type.ts';

/** What classification needs to know about one advisory the patch resolves. */
export interface PatchAdvisory {
  id: string;
  aliases?: readonly string[];
  summary?: string;
  /** The advisory's severity (CVSS or the vendor's rating). */
  severity?: SeverityLabel;
  /** CVEs the advisory fixes, including ones it is not identical to (errata list several). */
  cves?: readonly string[];
}

export interface PatchCandidate {
  ecosystem: string;
  packageName: string;
  fixedVersion: string;
  advisories: readonly PatchAdvisory[];
}

/** A person's classification, which takes precedence over the rules. */
export interface PatchTypeOverride {
  type: PatchType;
  /** Who decided (user id or name). */
  by: string;
  reason: string;
  /** When, as an RFC 3339 instant. */
  at: string;
}

export interface PatchRuleMatch {
  type: PatchType;
  ruleId: string;
  /** The advisory the rule's conditions held for; null for a rule about the package only. */
  advisoryId: string | null;
}

export interface PatchClassification {
  /** null only when no rule matched (the defaults end with a catch-all, so never with them). */
  type: PatchType | null;
  appliedBy: 'override' | 'rule' | 'none';
  /** What the rules gave, kept when an override replaced it so that the audit trail shows both. */
  ruleMatch: PatchRuleMatch | null;
  override: PatchTypeOverride | null;
  explanation: string;
}

/** Compiled rules, reusable across many patches. */
export interface PatchClassifier {
  readonly rules: readonly CompiledClassificationRule[];
  classify(patch: PatchCandidate, override?: PatchTypeOverride): PatchClassification;
}

function invalid(field: string, message: string, value: unknown, record?: string): never {
  throw pwError('PW_ERR_INVALID_RECORD', `Invalid patch ${field}: ${message}`, {
    field,
    value,
    ...(record === undefined ? {} : { record }),
  });
}

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

function checkOverride(override: PatchTypeOverride, record: string): void {
  if (!override || typeof override !== 'object') invalid('override', 'must be an object', override, record);
  if (!PATCH_TYPES.includes(override.type)) {
    invalid('override.type', `must be one of ${PATCH_TYPES.join(', ')}`, override.type, record);
  }
  if (!nonEmpty(override.by)) invalid('override.by', 'must name who decided', override.by, record);
  if (!nonEmpty(override.reason)) invalid('override.reason', 'must give a reason', override.reason, record);
  if (typeof override.at !== 'string')
    invalid('override.at', 'must be an RFC 3339 instant', override.at, record);
  instantMs(override.at, 'override.at', record);
}

function checkPatch(patch: PatchCandidate): string {
  if (!patch || typeof patch !== 'object') invalid('patch', 'must be an object', patch);
  const record = `${String(patch.ecosystem)}/${String(patch.packageName)}@${String(patch.fixedVersion)}`;
  if (!nonEmpty(patch.ecosystem)) invalid('ecosystem', 'must be a non-empty string', patch.ecosystem, record);
  if (!nonEmpty(patch.packageName))
    invalid('packageName', 'must be a non-empty string', patch.packageName, record);
  if (!nonEmpty(patch.fixedVersion))
    invalid('fixedVersion', 'must be a non-empty string', patch.fixedVersion, record);
  if (!Array.isArray(patch.advisories)) invalid('advisories', 'must be an array', patch.advisories, record);
  patch.advisories.forEach((advisory, index) => {
    if (!advisory || !nonEmpty(advisory.id))
      invalid(`advisories[${index}].id`, 'must be a non-empty string', advisory?.id, record);
    if (advisory.severity !== undefined && !Object.hasOwn(SEVERITY_RANK, advisory.severity)) {
      invalid(
        `advisories[${index}].severity`,
        `must be one of ${Object.keys(SEVERITY_RANK).join(', ')}`,
        advisory.severity,
        record,
      );
    }
  });
  return record;
}

function namesCve(advisory: PatchAdvisory): boolean {
  if ((advisory.cves?.length ?? 0) > 0) return true;
  return [advisory.id, ...(advisory.aliases ?? [])].some((id) => id.toUpperCase().startsWith('CVE-'));
}

function advisoryHolds(rule: CompiledClassificationRule, advisory: PatchAdvisory): boolean {
  if (rule.advisoryId && !rule.advisoryId.test(advisory.id)) return false;
  if (rule.summary && !(advisory.summary !== undefined && rule.summary.test(advisory.summary))) return false;
  if (rule.hasCve !== undefined && namesCve(advisory) !== rule.hasCve) return false;
  if (
    rule.severityAtLeast !== undefined &&
    SEVERITY_RANK[advisory.severity ?? 'unknown'] < rule.severityAtLeast
  ) {
    return false;
  }
  return true;
}

function ecosystemHolds(wanted: string, ecosystem: string): boolean {
  const folded = ecosystem.toLowerCase();
  const colon = folded.indexOf(':');
  return folded === wanted || (colon >= 0 && folded.slice(0, colon) === wanted);
}

function firstMatch(
  rules: readonly CompiledClassificationRule[],
  patch: PatchCandidate,
): PatchRuleMatch | null {
  for (const rule of rules) {
    if (rule.ecosystem !== undefined && !ecosystemHolds(rule.ecosystem, patch.ecosystem)) continue;
    if (rule.packageName && !rule.packageName.test(patch.packageName)) continue;
    if (!rule.aboutAdvisory) return { type: rule.rule.type, ruleId: rule.rule.id, advisoryId: null };
    const advisory = patch.advisories.find((candidate) => advisoryHolds(rule, candidate));
    if (advisory) return { type: rule.rule.type, ruleId: rule.rule.id, advisoryId: advisory.id };
  }
  return null;
}

function describeMatch(rules: readonly CompiledClassificationRule[], match: PatchRuleMatch | null): string {
  if (!match) return 'no classification rule matched';
  const rule = rules.find((candidate) => candidate.rule.id === match.ruleId)?.rule;
  const on = match.advisoryId ? ` on advisory ${match.advisoryId}` : '';
  return `rule ${match.ruleId} (${rule?.description ?? ''}) matched${on}: ${match.type}`;
}

/** Compiles `rules` once (validating them) for classifying many patches. */
export function createPatchClassifier(
  rules: readonly ClassificationRule[] = DEFAULT_CLASSIFICATION_RULES,
): PatchClassifier {
  const compiled = Object.freeze(compileClassificationRules(rules));
  return {
    rules: compiled,
    classify(patch: PatchCandidate, override?: PatchTypeOverride): PatchClassification {
      const record = checkPatch(patch);
      if (override !== undefined) checkOverride(override, record);
      const ruleMatch = firstMatch(compiled, patch);
      const byRules = describeMatch(compiled, ruleMatch);
      if (override) {
        return {
          type: override.type,
          appliedBy: 'override',
          ruleMatch,
          override,
          explanation: `overridden to ${override.type} by ${override.by} at ${override.at} (${override.reason}); the rules gave: ${byRules}`,
        };
      }
      return {
        type: ruleMatch?.type ?? null,
        appliedBy: ruleMatch ? 'rule' : 'none',
        ruleMatch,
        override: null,
        explanation: byRules,
      };
    },
  };
}

let defaultClassifier: PatchClassifier | undefined;

/** Classifies one patch with `rules` (the defaults when omitted); an override takes precedence. */
export function classifyPatch(
  patch: PatchCandidate,
  options: { rules?: readonly ClassificationRule[]; override?: PatchTypeOverride } = {},
): PatchClassification {
  const classifier =
    options.rules === undefined
      ? (defaultClassifier ??= createPatchClassifier(DEFAULT_CLASSIFICATION_RULES))
      : createPatchClassifier(options.rules);
  return classifier.classify(patch, options.override);
}

/**
 * The classification view of an advisory: its CVEs (own ids, related ids and the CVE pages its
 * references point at, as errata list them) and its severity (CVSS, else the vendor's rating,
 * e.g. the "Important:" that starts an AlmaLinux summary).
 */
export function patchAdvisoryOf(advisory: Advisory): PatchAdvisory {
  const result: PatchAdvisory = {
    id: advisory.id,
    aliases: allIds(advisory).slice(1),
    cves: cveIdsOf(advisory),
  };
  if (advisory.summary !== undefined) result.summary = advisory.summary;
  const affected = advisory.affected[0] ?? { ecosystem: '', name: '', ranges: [], versions: [] };
  const { severity } = resolveSeverity([{ advisory, affected }], []);
  if (severity !== 'unknown') result.severity = severity;
  return result;
}
