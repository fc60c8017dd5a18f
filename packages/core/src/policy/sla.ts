/**
 * Remediation deadlines. Every SLA rule whose conditions hold gives a due date and the earliest
 * wins, so adding a rule or shortening one can only bring a deadline forward:
 *
 * - `days`: first seen on the asset + that many days. The clock runs from first sighting, not
 *   from when someone looks, so a finding nobody triaged is just as late.
 * - `kevDueDate: true`: for a finding in CISA KEV, no later than the end (UTC) of CISA's due date
 *   (BOD 22-01), i.e. min(SLA, KEV due date).
 *
 * When no rule holds, the asset's routine patch cycle (schedules per asset class) sets the due
 * date: the end of the first cycle that starts at or after the finding was first seen. Emergencies
 * compress due dates further (emergency.ts); exceptions never move them (exceptions.ts).
 */
import type { Asset } from '../assets/asset.ts';
import type { Finding } from '../matching/finding.ts';
import type { PatchType } from '../patches/patch-type.ts';
import { calendarDateMs, DAY_MS, instantMs } from '../risk/instant.ts';
import type { Instant } from '../risk/instant.ts';
import type { RiskLevel } from '../risk/risk-score.ts';
import { nextScheduledCycle, scheduleFor } from '../schedule/patch-schedule.ts';
import type { CompiledPolicy } from './compile-policy.ts';
import { DEFAULT_DUE_SOON_DAYS } from './compile-policy.ts';
import { evaluateConditions, findingFacts } from './conditions.ts';
import { patchPackageName } from './policy-finding.ts';
import { isoOf, PolicyContext } from './policy-context.ts';
import type { PolicyDocument } from './policy-schema.ts';

export type SlaStatus = 'on-track' | 'due-soon' | 'breached';

export interface SlaInput {
  finding: Finding;
  asset: Asset;
  /** When the finding was first seen on this asset. */
  firstSeen: Instant;
  /** The finding's risk level on this asset (risk/risk-score.ts, scored with the policy's weights). */
  riskLevel?: RiskLevel;
  patchType?: PatchType;
  /** Evaluates asset filters (the `stale` flag depends on it); not the start of the SLA clock. */
  now: Instant;
}

export interface SlaCandidate {
  rule: string;
  due: string;
  dueEpochMs: number;
  reason: string;
}

export interface SlaDecision {
  due?: string;
  dueEpochMs?: number;
  /** The rule that set the due date: an SLA rule's name, or `schedule:<cadence>`. */
  rule?: string;
  source: 'sla' | 'schedule' | 'none';
  /** Every due date a holding rule gave, earliest first. */
  candidates: SlaCandidate[];
  explanation: string;
}

function fmtDays(days: number): string {
  return `${Number(days.toFixed(3))} day${days === 1 ? '' : 's'}`;
}

/** Due date of one finding on one asset under the policy's SLA rules (emergencies aside). */
export function slaDueDate(
  input: SlaInput,
  policy: PolicyDocument | CompiledPolicy,
  context: PolicyContext = new PolicyContext(policy, input.now),
): SlaDecision {
  const compiled = context.policy;
  const firstSeenMs = instantMs(input.firstSeen, 'firstSeen', input.finding.id);
  const subject = {
    ecosystem: input.finding.package.ecosystem,
    packageName: patchPackageName(input.finding),
    binaryNames: [input.finding.package.name],
    ...(input.patchType === undefined ? {} : { patchType: input.patchType }),
    ...(input.riskLevel === undefined ? {} : { riskLevel: input.riskLevel }),
    ...findingFacts([input.finding]),
    asset: input.asset,
  };
  const candidates: SlaCandidate[] = [];
  const skipped: string[] = [];
  for (const rule of compiled.slaRules) {
    const result = evaluateConditions(rule.when, subject, context.assets);
    if (!result.holds) continue;
    const name = rule.spec.name;
    if (rule.spec.days !== undefined) {
      const dueEpochMs = firstSeenMs + rule.spec.days * DAY_MS;
      candidates.push({
        rule: name,
        due: isoOf(dueEpochMs),
        dueEpochMs,
        reason: `SLA rule ${name} (${result.checks.join('; ')}): first seen ${isoOf(firstSeenMs)} + ${fmtDays(rule.spec.days)}`,
      });
    }
    if (rule.spec.kevDueDate === true) {
      const kev = input.finding.kev;
      if (kev) {
        const dueEpochMs = calendarDateMs(kev.dueDate, 'finding.kev.dueDate', input.finding.id) + DAY_MS;
        candidates.push({
          rule: name,
          due: isoOf(dueEpochMs),
          dueEpochMs,
          reason: `SLA rule ${name}: CISA KEV due date ${kev.dueDate} (end of day UTC)`,
        });
      } else if (rule.spec.days === undefined) {
        skipped.push(`${name} (KEV due date, but not in KEV)`);
      }
    }
  }
  candidates.sort((a, b) => a.dueEpochMs - b.dueEpochMs);
  const [best] = candidates;
  if (best) {
    const others = candidates.length - 1;
    return {
      due: best.due,
      dueEpochMs: best.dueEpochMs,
      rule: best.rule,
      source: 'sla',
      candidates,
      explanation: `due ${best.due}: ${best.reason}${others > 0 ? ` (earliest of ${candidates.length} SLA due dates)` : ''}`,
    };
  }
  return scheduleFallback(input.asset, firstSeenMs, compiled, skipped);
}

function scheduleFallback(
  asset: Asset,
  firstSeenMs: number,
  compiled: CompiledPolicy,
  skipped: readonly string[],
): SlaDecision {
  const noRule = `no SLA rule applies${skipped.length ? ` (${skipped.join(', ')})` : ''}`;
  const cadence = scheduleFor(asset.assetClasses, compiled.cadences);
  if (cadence === undefined) {
    return {
      source: 'none',
      candidates: [],
      explanation: `${noRule} and asset ${asset.name} has no asset class to schedule it by: no due date`,
    };
  }
  let timeZone = asset.timeZone ?? 'UTC';
  let zoneNote = asset.timeZone === undefined ? ' (no asset time zone: UTC)' : '';
  let cycle;
  try {
    cycle = nextScheduledCycle(cadence, compiled.anchorDate, firstSeenMs, timeZone);
  } catch {
    zoneNote = ` (asset time zone ${timeZone} unknown: UTC)`;
    timeZone = 'UTC';
    cycle = nextScheduledCycle(cadence, compiled.anchorDate, firstSeenMs, timeZone);
  }
  const due = isoOf(cycle.endEpochMs);
  return {
    due,
    dueEpochMs: cycle.endEpochMs,
    rule: `schedule:${cadence}`,
    source: 'schedule',
    candidates: [],
    explanation: `due ${due}: ${noRule}; the asset's ${cadence} patch cycle (${asset.assetClasses.join(', ')}) that starts ${cycle.localStartDate} after first sighting ends then${zoneNote}`,
  };
}

/**
 * Where a due date stands at `now`: `breached` from the due instant on, `due-soon` within
 * `dueSoonDays` (default 3) of it, `on-track` before that.
 */
export function slaStatus(due: Instant, now: Instant, options: { dueSoonDays?: number } = {}): SlaStatus {
  const dueMs = instantMs(due, 'due');
  const nowMs = instantMs(now, 'now');
  const soonMs = (options.dueSoonDays ?? DEFAULT_DUE_SOON_DAYS) * DAY_MS;
  if (nowMs >= dueMs) return 'breached';
  return dueMs - nowMs <= soonMs ? 'due-soon' : 'on-track';
}
