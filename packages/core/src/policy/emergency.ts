/**
 * Emergency policy: declared for one vulnerability (`cve`, matched against a finding's id,
 * aliases and related CVEs) or one patch (`patch: { ecosystem?, package, fixedVersion? }`), and
 * enforced brutally while in force (from `declaredAt` until `liftedAt`, if ever):
 *
 * - due date = min(normal due date, declaredAt + deadlineHours): never later, only earlier;
 * - exceptions and deferrals do not apply (exceptions.ts);
 * - approval is forced to `approved` as of `declaredAt` (baseline.ts);
 * - with `overrideWindows`, the patch is scheduled at once, outside maintenance windows
 *   (patch-queue.ts); without it, in the first window, however late.
 */
import type { Finding } from '../matching/finding.ts';
import { instantMs } from '../risk/instant.ts';
import type { Instant } from '../risk/instant.ts';
import { schemeForEcosystem } from '../versions/registry.ts';
import type { CompiledEmergency, CompiledPolicy } from './compile-policy.ts';
import { ecosystemMatches } from './conditions.ts';
import { vulnerabilityIds } from './policy-finding.ts';
import { isoOf } from './policy-context.ts';
import { asCompiledPolicy } from './compile-policy.ts';
import type { PolicyDocument } from './policy-schema.ts';

export interface EmergencyEffect {
  /** Every emergency that applies, by id. */
  ids: string[];
  /** The earliest deadline among them. */
  deadline: string;
  deadlineEpochMs: number;
  /** Whether any of them overrides maintenance windows. */
  overrideWindows: boolean;
  /** Approval is forced from the earliest declaration on. */
  approvedAt: string;
  explanation: string;
}

export function emergencyInForce(emergency: CompiledEmergency, nowMs: number): boolean {
  return emergency.declaredMs <= nowMs && (emergency.liftedMs === undefined || nowMs < emergency.liftedMs);
}

/** Whether upgrading to the emergency's version closes a finding fixed in `fixed`. */
function closedBy(ecosystem: string, fixed: string | undefined, wanted: string): boolean {
  if (fixed === undefined) return false;
  const scheme = schemeForEcosystem(ecosystem);
  if (scheme && scheme.isValid(fixed) && scheme.isValid(wanted)) return scheme.compare(fixed, wanted) <= 0;
  return fixed === wanted;
}

export function emergencyMatches(
  emergency: CompiledEmergency,
  finding: Pick<Finding, 'id' | 'aliases' | 'relatedCves' | 'evidence' | 'package' | 'fixedVersion'>,
): boolean {
  if (emergency.cve !== undefined) return vulnerabilityIds(finding).has(emergency.cve);
  const patch = emergency.spec.patch;
  if (!patch) return false;
  const pkg = finding.package;
  if (patch.ecosystem !== undefined && !ecosystemMatches(patch.ecosystem, pkg.ecosystem)) return false;
  const wanted = patch.package.toLowerCase();
  const names = [pkg.name, pkg.sourceName].filter((n): n is string => n !== undefined);
  if (!names.some((name) => name.toLowerCase() === wanted)) return false;
  return (
    patch.fixedVersion === undefined || closedBy(pkg.ecosystem, finding.fixedVersion, patch.fixedVersion)
  );
}

/** The emergencies in force at `now` that cover `finding`. */
export function emergenciesFor(
  input: { finding: Parameters<typeof emergencyMatches>[1]; now: Instant },
  policy: PolicyDocument | CompiledPolicy,
): CompiledEmergency[] {
  const nowMs = instantMs(input.now, 'now');
  return asCompiledPolicy(policy).emergencies.filter(
    (emergency) => emergencyInForce(emergency, nowMs) && emergencyMatches(emergency, input.finding),
  );
}

/** What the applicable emergencies do together; undefined when none applies. */
export function emergencyEffect(emergencies: readonly CompiledEmergency[]): EmergencyEffect | undefined {
  if (emergencies.length === 0) return undefined;
  const byDeadline = [...emergencies].sort((a, b) => a.deadlineMs - b.deadlineMs);
  const first = byDeadline[0] as CompiledEmergency;
  const declaredMs = Math.min(...emergencies.map((e) => e.declaredMs));
  const overrideWindows = emergencies.some((e) => e.spec.overrideWindows);
  const deadline = isoOf(first.deadlineMs);
  return {
    ids: byDeadline.map((e) => e.spec.id),
    deadline,
    deadlineEpochMs: first.deadlineMs,
    overrideWindows,
    approvedAt: isoOf(declaredMs),
    explanation:
      `emergency ${first.spec.id} (${first.spec.reason}) declared ${first.spec.declaredAt}: fix within ` +
      `${first.spec.deadlineHours} h, by ${deadline}; exceptions do not apply; approval forced` +
      (overrideWindows ? '; maintenance windows overridden' : '; maintenance windows still apply'),
  };
}

/** The earlier of a normal due date and the emergency deadline: an emergency never makes a due date later. */
export function compressDueDate(
  dueEpochMs: number | undefined,
  effect: EmergencyEffect | undefined,
): number | undefined {
  if (!effect) return dueEpochMs;
  return dueEpochMs === undefined ? effect.deadlineEpochMs : Math.min(dueEpochMs, effect.deadlineEpochMs);
}
