/**
 * Patch approval, in the spirit of AWS Systems Manager patch baselines. Each asset belongs to the
 * first baseline whose asset filter it matches (its asset group). For one patch on one asset:
 *
 * 1. An emergency in force for the patch approves it, as of its declaration (nothing else counts).
 * 2. No baseline covers the asset: pending (a person decides).
 * 3. On the baseline's `rejectedPatches`: rejected. A rejection wins over an approval.
 * 4. On its `approvedPatches`: approved.
 * 5. Its rules, in order; the first whose conditions hold decides: approved `autoApproveAfterDays`
 *    after the fix was published (or first seen, when the publication date is unknown), pending
 *    until then; a rule without `autoApproveAfterDays` leaves it pending for a person.
 * 6. No rule holds: pending.
 */
import type { Asset } from '../assets/asset.ts';
import { DAY_MS } from '../risk/instant.ts';
import type { Instant } from '../risk/instant.ts';
import type { CompiledBaseline, CompiledPatchRef, CompiledPolicy } from './compile-policy.ts';
import { ecosystemMatches, evaluateConditions } from './conditions.ts';
import type { ConditionSubject } from './conditions.ts';
import type { EmergencyEffect } from './emergency.ts';
import { isoOf, PolicyContext } from './policy-context.ts';
import type { PolicyDocument } from './policy-schema.ts';

export type ApprovalState = 'approved' | 'pending' | 'rejected';

/** What approval looks at: a patch's facts on one asset. */
export interface PatchApprovalFacts extends ConditionSubject {
  fixedVersion: string;
  /** Every id of the vulnerabilities the patch closes there (CVE, GHSA, ALSA... and aliases). */
  vulnerabilityIds: readonly string[];
  /** When the fix was published, if known. */
  publishedAt?: string;
  /** When the first of its findings was first seen on the asset. */
  firstSeen: string;
}

export interface ApprovalResult {
  state: ApprovalState;
  /** When it was (or is) approved. */
  approvedAt?: string;
  /** When a pending patch will be approved by its rule, with no one acting. */
  approvesAt?: string;
  /** What decided: `emergency:<id>`, `rejectedPatches:<ref>`, `approvedPatches:<ref>`, `rule:<name>`, `no-matching-rule`, `no-baseline`. */
  rule: string;
  baseline?: string;
  explanation: string;
}

/** The baseline of the asset's group: the first whose filter it matches (no filter matches all). */
export function baselineFor(asset: Asset, context: PolicyContext): CompiledBaseline | undefined {
  return context.policy.baselines.find(
    (baseline) => baseline.assets === undefined || context.assets.matches(baseline.assets, asset),
  );
}

function refMatches(ref: CompiledPatchRef, patch: PatchApprovalFacts): boolean {
  if (ref.vulnerabilityId !== undefined && patch.vulnerabilityIds.includes(ref.vulnerabilityId)) return true;
  if (ref.ecosystem !== undefined && !ecosystemMatches(ref.ecosystem, patch.ecosystem)) return false;
  const names = [patch.packageName, ...(patch.binaryNames ?? [])].map((n) => n.toLowerCase());
  if (!names.some((name) => ref.packageRegex.test(name))) return false;
  return ref.versionRegex === undefined || ref.versionRegex.test(patch.fixedVersion.toLowerCase());
}

export function evaluateApproval(
  input: { patch: PatchApprovalFacts; now: Instant; emergency?: EmergencyEffect },
  policy: PolicyDocument | CompiledPolicy,
  context: PolicyContext = new PolicyContext(policy, input.now),
): ApprovalResult {
  const { patch, emergency } = input;
  const label = `${patch.packageName}@${patch.fixedVersion}`;
  const baseline = baselineFor(patch.asset, context);
  const named = baseline ? { baseline: baseline.spec.name } : {};
  const rejectedBy = baseline?.rejected.find((ref) => refMatches(ref, patch));
  if (emergency) {
    return {
      state: 'approved',
      approvedAt: emergency.approvedAt,
      rule: `emergency:${emergency.ids[0]}`,
      ...named,
      explanation:
        `${label} approved by emergency ${emergency.ids.join(', ')} as of ${emergency.approvedAt}` +
        (rejectedBy ? ` (overrides rejectedPatches entry "${rejectedBy.text}")` : ''),
    };
  }
  if (!baseline) {
    return {
      state: 'pending',
      rule: 'no-baseline',
      explanation: `no baseline covers asset ${patch.asset.name}: ${label} needs a person's approval`,
    };
  }
  const where = `baseline ${baseline.spec.name}`;
  if (rejectedBy) {
    return {
      state: 'rejected',
      rule: `rejectedPatches:${rejectedBy.text}`,
      ...named,
      explanation: `${label} rejected: ${where} lists "${rejectedBy.text}" in rejectedPatches (a rejection wins)`,
    };
  }
  const approvedBy = baseline.approved.find((ref) => refMatches(ref, patch));
  if (approvedBy) {
    return {
      state: 'approved',
      rule: `approvedPatches:${approvedBy.text}`,
      ...named,
      explanation: `${label} approved: ${where} lists "${approvedBy.text}" in approvedPatches`,
    };
  }
  for (const rule of baseline.rules) {
    const result = evaluateConditions(rule.match, patch, context.assets);
    if (!result.holds) continue;
    const ruleName = `rule:${rule.spec.name}`;
    const why = `${where} rule ${rule.spec.name} (${result.checks.join('; ')})`;
    const days = rule.spec.autoApproveAfterDays;
    if (days === undefined) {
      return {
        state: 'pending',
        rule: ruleName,
        ...named,
        explanation: `${label} pending: ${why} requires a person's approval`,
      };
    }
    const from = patch.publishedAt ?? patch.firstSeen;
    const fromWhat =
      patch.publishedAt !== undefined ? 'fix published' : 'first seen (publication date unknown)';
    const approvesMs = Date.parse(from) + days * DAY_MS;
    const at = isoOf(approvesMs);
    if (approvesMs <= context.nowMs) {
      return {
        state: 'approved',
        approvedAt: at,
        rule: ruleName,
        ...named,
        explanation: `${label} approved ${at}: ${why}: ${fromWhat} ${from} + ${days} days`,
      };
    }
    return {
      state: 'pending',
      approvesAt: at,
      rule: ruleName,
      ...named,
      explanation: `${label} pending until ${at}: ${why}: ${fromWhat} ${from} + ${days} days`,
    };
  }
  return {
    state: 'pending',
    rule: 'no-matching-rule',
    ...named,
    explanation: `${label} pending: no rule of ${where} matches; a person must approve it`,
  };
}
