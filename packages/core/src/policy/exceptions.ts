/**
 * Exceptions (a risk accepted with a compensating control) and deferrals (patching postponed).
 * Scope: an asset filter x package globs and/or vulnerability ids (both must hold when both are
 * given; an exception always names one of them).
 *
 * - In force from `createdAt` until `expiresAt` (exclusive). While in force it suppresses the
 *   finding: out of the queue, counted as suppressed, everywhere that asks this module.
 * - Expired: the finding reopens. The SLA clock never stopped (due dates are computed from first
 *   sighting and ignore exceptions), so a reopened finding is usually overdue at once.
 * - An emergency in force for the finding overrides every exception: it is not suppressed.
 * - Renewal extends `expiresAt` by at most one term (366 days), before it lapses, at most
 *   `maxRenewals` times (default 2), each time with an approver.
 */
import type { Asset } from '../assets/asset.ts';
import type { Finding } from '../matching/finding.ts';
import { DAY_MS, instantMs } from '../risk/instant.ts';
import type { Instant } from '../risk/instant.ts';
import { DEFAULT_MAX_RENEWALS, MAX_EXCEPTION_TERM_DAYS } from './compile-policy.ts';
import type { CompiledException, CompiledPolicy } from './compile-policy.ts';
import type { AssetFilterCache } from './conditions.ts';
import { emergenciesFor } from './emergency.ts';
import { policyError } from './policy-error.ts';
import { PolicyContext } from './policy-context.ts';
import { vulnerabilityIds } from './policy-finding.ts';
import type { ExceptionSpec, PolicyDocument } from './policy-schema.ts';

export interface ExceptionRef {
  id: string;
  kind: 'exception' | 'deferral';
  approver: string;
  reason: string;
  expiresAt: string;
}

export interface ExceptionVerdict {
  /** Whether the finding is suppressed at `now`. */
  suppressed: boolean;
  /** Exceptions in force that cover the finding (they suppress it unless an emergency overrides). */
  active: ExceptionRef[];
  /** Exceptions that covered the finding and have expired: the finding reopened. */
  expired: ExceptionRef[];
  /** Exceptions that will cover the finding from their `createdAt` on. */
  upcoming: ExceptionRef[];
  /** Emergencies that override the active exceptions. */
  overriddenBy: string[];
  explanation: string;
}

type ExceptionFinding = Pick<
  Finding,
  'id' | 'aliases' | 'relatedCves' | 'evidence' | 'package' | 'fixedVersion'
>;

function refOf(exception: CompiledException): ExceptionRef {
  const { spec } = exception;
  return {
    id: spec.id,
    kind: spec.kind ?? 'exception',
    approver: spec.approver,
    reason: spec.reason,
    expiresAt: spec.expiresAt,
  };
}

/** Whether the exception's scope covers the finding on the asset (whatever the date). */
export function exceptionCovers(
  exception: CompiledException,
  finding: ExceptionFinding,
  asset: Asset,
  assets: AssetFilterCache,
): boolean {
  if (exception.packages) {
    const names = [finding.package.name, finding.package.sourceName]
      .filter((n): n is string => n !== undefined)
      .map((n) => n.toLowerCase());
    if (!exception.packages.some((regex) => names.some((name) => regex.test(name)))) return false;
  }
  if (exception.vulnerabilities) {
    const ids = vulnerabilityIds(finding);
    if (![...exception.vulnerabilities].some((id) => ids.has(id))) return false;
  }
  return exception.assets === undefined || assets.matches(exception.assets, asset);
}

/**
 * The exceptions that bear on one finding on one asset at `now`, and whether they suppress it.
 * `emergencies`: ids of emergencies in force for the finding; computed from the policy when omitted.
 */
export function effectiveExceptions(
  input: { finding: ExceptionFinding; asset: Asset; now: Instant; emergencies?: readonly string[] },
  policy: PolicyDocument | CompiledPolicy,
  context: PolicyContext = new PolicyContext(policy, input.now),
): ExceptionVerdict {
  const nowMs = context.nowMs;
  const active: ExceptionRef[] = [];
  const expired: ExceptionRef[] = [];
  const upcoming: ExceptionRef[] = [];
  for (const exception of context.policy.exceptions) {
    if (!exceptionCovers(exception, input.finding, input.asset, context.assets)) continue;
    if (nowMs >= exception.expiresMs) expired.push(refOf(exception));
    else if (nowMs < exception.createdMs) upcoming.push(refOf(exception));
    else active.push(refOf(exception));
  }
  const overriddenBy =
    active.length === 0
      ? []
      : [
          ...(input.emergencies ??
            emergenciesFor({ finding: input.finding, now: nowMs }, context.policy).map((e) => e.spec.id)),
        ];
  const suppressed = active.length > 0 && overriddenBy.length === 0;
  const parts: string[] = [];
  if (active.length > 0) {
    const list = active
      .map((e) => `${e.kind} ${e.id} (approved by ${e.approver}, until ${e.expiresAt})`)
      .join(', ');
    parts.push(
      overriddenBy.length > 0
        ? `${list} ignored: emergency ${overriddenBy.join(', ')} in force`
        : `suppressed by ${list}`,
    );
  }
  if (expired.length > 0) {
    parts.push(`reopened: ${expired.map((e) => `${e.kind} ${e.id} expired ${e.expiresAt}`).join(', ')}`);
  }
  if (upcoming.length > 0) parts.push(`not yet in force: ${upcoming.map((e) => e.id).join(', ')}`);
  return {
    suppressed,
    active,
    expired,
    upcoming,
    overriddenBy,
    explanation: parts.length > 0 ? parts.join('; ') : 'no exception covers this finding',
  };
}

export interface ExceptionRenewal {
  expiresAt: string;
  approver: string;
  /** When the renewal is granted: before the exception lapses. */
  at: string;
}

/** The exception renewed once more; refuses a lapsed one, too long a term, or one renewal too many. */
export function renewException(exception: ExceptionSpec, renewal: ExceptionRenewal): ExceptionSpec {
  const field = `exceptions.${exception.id}`;
  const atMs = instantMs(renewal.at, 'at', exception.id);
  const oldMs = instantMs(exception.expiresAt, 'expiresAt', exception.id);
  const newMs = instantMs(renewal.expiresAt, 'expiresAt', exception.id);
  const renewals = exception.renewals ?? 0;
  const maxRenewals = exception.maxRenewals ?? DEFAULT_MAX_RENEWALS;
  if (renewals >= maxRenewals) {
    throw policyError(`${field}.renewals`, `already renewed ${renewals} of ${maxRenewals} times`);
  }
  if (atMs >= oldMs) {
    throw policyError(
      `${field}.expiresAt`,
      `expired ${exception.expiresAt}: a lapsed exception is not renewed, create a new one`,
    );
  }
  if (newMs <= oldMs) throw policyError(`${field}.expiresAt`, `must be after ${exception.expiresAt}`);
  if (newMs - oldMs > MAX_EXCEPTION_TERM_DAYS * DAY_MS) {
    throw policyError(
      `${field}.expiresAt`,
      `extends by more than one term of ${MAX_EXCEPTION_TERM_DAYS} days`,
    );
  }
  if (renewal.approver.trim() === '') throw policyError(`${field}.approver`, 'a renewal needs an approver');
  return { ...exception, expiresAt: renewal.expiresAt, approver: renewal.approver, renewals: renewals + 1 };
}
