/**
 * Everything the policy says about one finding on one asset at one instant: its risk, its type,
 * its due date (SLA, then compressed by emergencies), where that stands, and whether an exception
 * suppresses it. The patch queue, the what-if simulation and any API view call this one
 * function, so a suppressed finding is suppressed everywhere alike.
 */
import type { Asset } from '../assets/asset.ts';
import type { PatchClassification } from '../patches/classify-patch.ts';
import type { Instant } from '../risk/instant.ts';
import { scoreRisk } from '../risk/risk-score.ts';
import type { RiskAssessment } from '../risk/risk-score.ts';
import type { CompiledPolicy } from './compile-policy.ts';
import { compressDueDate, emergenciesFor, emergencyEffect } from './emergency.ts';
import type { EmergencyEffect } from './emergency.ts';
import { effectiveExceptions } from './exceptions.ts';
import type { ExceptionVerdict } from './exceptions.ts';
import { isoOf, PolicyContext } from './policy-context.ts';
import { findingKey, patchCandidateOf, patchPackageName } from './policy-finding.ts';
import type { PolicyFinding, RiskAcceptance } from './policy-finding.ts';
import type { PolicyDocument } from './policy-schema.ts';
import { slaDueDate, slaStatus } from './sla.ts';
import type { SlaDecision, SlaStatus } from './sla.ts';

export interface FindingDecision {
  key: string;
  finding: PolicyFinding;
  open: boolean;
  risk: RiskAssessment;
  /** The type of the finding's own fix (its advisories), used by SLA rules. */
  classification: PatchClassification;
  sla: SlaDecision;
  emergency?: EmergencyEffect;
  /** SLA due date, compressed by emergencies. */
  due?: string;
  dueEpochMs?: number;
  status?: SlaStatus;
  exceptions: ExceptionVerdict;
  /** A person's risk acceptance (status `risk-accepted`), and whether an emergency overrides it. */
  acceptance?: RiskAcceptance & { overriddenBy: string[] };
  suppressed: boolean;
  explanation: string;
}

/** What suppresses a decision, as the queue lists it: exception ids, then `risk-accepted:<who>`. */
export function suppressedBy(decision: FindingDecision): string[] {
  if (!decision.suppressed) return [];
  const ids = decision.exceptions.suppressed ? decision.exceptions.active.map((e) => e.id) : [];
  if (decision.acceptance && decision.acceptance.overriddenBy.length === 0) {
    ids.push(`risk-accepted:${decision.acceptance.by}`);
  }
  return ids;
}

export function decideFinding(
  input: { finding: PolicyFinding; asset: Asset; now: Instant },
  policy: PolicyDocument | CompiledPolicy,
  context: PolicyContext = new PolicyContext(policy, input.now),
): FindingDecision {
  const { finding, asset } = input;
  const compiled = context.policy;
  const risk = scoreRisk({ finding, asset, at: context.nowMs }, compiled.weights);
  const classification = compiled.classifier.classify(
    patchCandidateOf(
      finding.package.ecosystem,
      patchPackageName(finding),
      finding.fixedVersion ?? finding.package.version,
      [finding],
    ),
  );
  const sla = slaDueDate(
    {
      finding,
      asset,
      firstSeen: finding.firstSeen,
      riskLevel: risk.level,
      ...(classification.type === null ? {} : { patchType: classification.type }),
      now: context.nowMs,
    },
    compiled,
    context,
  );
  const emergency = emergencyEffect(emergenciesFor({ finding, now: context.nowMs }, compiled));
  const dueEpochMs = compressDueDate(sla.dueEpochMs, emergency);
  const exceptions = effectiveExceptions(
    { finding, asset, now: context.nowMs, emergencies: emergency?.ids ?? [] },
    compiled,
    context,
  );
  // A risk acceptance is an opt-out: it suppresses like an exception, and like an exception it
  // does not hold against an emergency ("enforced brutally").
  const accepted = finding.status === 'risk-accepted';
  const acceptance = accepted
    ? {
        by: finding.acceptance?.by ?? 'unknown',
        reason: finding.acceptance?.reason ?? '',
        ...(finding.acceptance?.at === undefined ? {} : { at: finding.acceptance.at }),
        overriddenBy: emergency?.ids ?? [],
      }
    : undefined;
  const decision: FindingDecision = {
    key: findingKey(finding),
    finding,
    open: finding.status === 'open' || (accepted && emergency !== undefined),
    risk,
    classification,
    sla,
    exceptions,
    ...(acceptance ? { acceptance } : {}),
    suppressed: exceptions.suppressed || (acceptance !== undefined && acceptance.overriddenBy.length === 0),
    explanation: '',
  };
  const parts = [`risk ${risk.score} (${risk.level})`, sla.explanation];
  if (emergency) {
    decision.emergency = emergency;
    if (dueEpochMs !== sla.dueEpochMs)
      parts.push(`compressed to ${isoOf(dueEpochMs as number)} by ${emergency.explanation}`);
    else parts.push(`${emergency.explanation} (the SLA due date is already earlier)`);
  }
  if (dueEpochMs !== undefined) {
    decision.dueEpochMs = dueEpochMs;
    decision.due = isoOf(dueEpochMs);
    decision.status = slaStatus(dueEpochMs, context.nowMs, { dueSoonDays: compiled.dueSoonDays });
    parts.push(`SLA ${decision.status}`);
  }
  parts.push(exceptions.explanation);
  if (acceptance) {
    const who = `risk accepted by ${acceptance.by}${acceptance.reason ? ` (${acceptance.reason})` : ''}`;
    parts.push(
      acceptance.overriddenBy.length > 0
        ? `${who} ignored: emergency ${acceptance.overriddenBy.join(', ')} in force`
        : `suppressed: ${who}`,
    );
  }
  decision.explanation = parts.join('; ');
  return decision;
}
