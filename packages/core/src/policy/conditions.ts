/**
 * The conditions baseline rules and SLA rules share, evaluated against the facts of one patch
 * (or one finding) on one asset. Every given condition must hold; the result lists each
 * condition checked, in a sentence, so that a decision can always say why.
 */
import type { Asset } from '../assets/asset.ts';
import { DEFAULT_STALE_AFTER_DAYS } from '../assets/asset-health.ts';
import { compileAssetFilter } from '../assets/asset-filter.ts';
import type { AssetFilter } from '../assets/asset-filter.ts';
import type { Finding, SeverityLabel } from '../matching/finding.ts';
import { SEVERITY_RANK } from '../matching/finding.ts';
import type { PatchType } from '../patches/patch-type.ts';
import type { RiskLevel } from '../risk/risk-score.ts';
import type { CompiledConditions } from './compile-policy.ts';

const RISK_RANK: Readonly<Record<RiskLevel, number>> = { none: 0, low: 1, medium: 2, high: 3, critical: 4 };

export interface ConditionSubject {
  ecosystem: string;
  /** The package upgraded: the source package for OS packages. */
  packageName: string;
  /** Binary packages the upgrade touches on the asset (OS packages); globs match any of them too. */
  binaryNames?: readonly string[];
  patchType?: PatchType;
  /** The highest among the findings. */
  severity: SeverityLabel;
  riskLevel?: RiskLevel;
  kev: boolean;
  /** The highest EPSS probability among the findings; absent when none has one. */
  epss?: number;
  asset: Asset;
}

export interface ConditionResult {
  holds: boolean;
  /** One sentence per condition checked; the last one failed when `holds` is false. */
  checks: string[];
}

/** Facts shared by several findings (of one patch on one asset). */
export function findingFacts(
  findings: readonly Finding[],
): Pick<ConditionSubject, 'severity' | 'kev' | 'epss'> {
  let severity: SeverityLabel = 'unknown';
  let epss: number | undefined;
  let kev = false;
  for (const finding of findings) {
    if (SEVERITY_RANK[finding.severity] > SEVERITY_RANK[severity]) severity = finding.severity;
    if (finding.kev) kev = true;
    if (finding.epss && (epss === undefined || finding.epss.score > epss)) epss = finding.epss.score;
  }
  return epss === undefined ? { severity, kev } : { severity, kev, epss };
}

export function highestRiskLevel(levels: readonly RiskLevel[]): RiskLevel {
  let best: RiskLevel = 'none';
  for (const level of levels) if (RISK_RANK[level] > RISK_RANK[best]) best = level;
  return best;
}

export function ecosystemMatches(wanted: string, ecosystem: string): boolean {
  const lower = ecosystem.toLowerCase();
  const w = wanted.toLowerCase();
  const colon = lower.indexOf(':');
  return lower === w || (colon >= 0 && lower.slice(0, colon) === w);
}

/** Asset filters compiled once per (filter, now): evaluation meets the same few filters many times. */
export class AssetFilterCache {
  readonly #now: string;
  readonly #compiled = new WeakMap<AssetFilter, (asset: Asset) => boolean>();

  constructor(nowIso: string) {
    this.#now = nowIso;
  }

  matches(filter: AssetFilter, asset: Asset): boolean {
    let test = this.#compiled.get(filter);
    if (!test) {
      test = compileAssetFilter(filter, { now: this.#now, staleAfterDays: DEFAULT_STALE_AFTER_DAYS });
      this.#compiled.set(filter, test);
    }
    return test(asset);
  }
}

export function evaluateConditions(
  conditions: CompiledConditions,
  subject: ConditionSubject,
  assets: AssetFilterCache,
): ConditionResult {
  const spec = conditions.spec;
  const checks: string[] = [];
  const check = (ok: boolean, sentence: string): boolean => {
    checks.push(`${sentence}: ${ok ? 'yes' : 'no'}`);
    return ok;
  };
  const fail = (): ConditionResult => ({ holds: false, checks });

  if (
    spec.patchTypes &&
    !check(
      subject.patchType !== undefined && spec.patchTypes.includes(subject.patchType),
      `patch type ${subject.patchType ?? 'unknown'} in [${spec.patchTypes.join(', ')}]`,
    )
  )
    return fail();
  if (
    spec.severityAtLeast &&
    !check(
      SEVERITY_RANK[subject.severity] >= SEVERITY_RANK[spec.severityAtLeast],
      `severity ${subject.severity} at least ${spec.severityAtLeast}`,
    )
  )
    return fail();
  if (
    spec.riskLevelAtLeast &&
    !check(
      subject.riskLevel !== undefined && RISK_RANK[subject.riskLevel] >= RISK_RANK[spec.riskLevelAtLeast],
      `risk level ${subject.riskLevel ?? 'unknown'} at least ${spec.riskLevelAtLeast}`,
    )
  )
    return fail();
  if (
    spec.kev !== undefined &&
    !check(
      subject.kev === spec.kev,
      `${spec.kev ? 'in' : 'not in'} CISA KEV (${subject.kev ? 'in KEV' : 'not in KEV'})`,
    )
  )
    return fail();
  if (
    spec.epssAtLeast !== undefined &&
    !check(
      subject.epss !== undefined && subject.epss >= spec.epssAtLeast,
      `EPSS ${subject.epss ?? 'unknown'} at least ${spec.epssAtLeast}`,
    )
  )
    return fail();
  if (
    conditions.ecosystems &&
    !check(
      conditions.ecosystems.some((wanted) => ecosystemMatches(wanted, subject.ecosystem)),
      `ecosystem ${subject.ecosystem} in [${spec.ecosystems?.join(', ')}]`,
    )
  )
    return fail();
  if (conditions.packages) {
    const names = [subject.packageName, ...(subject.binaryNames ?? [])].map((n) => n.toLowerCase());
    const hit = conditions.packages.find(({ regex }) => names.some((name) => regex.test(name)));
    if (!check(hit !== undefined, `package ${subject.packageName} matches [${spec.packages?.join(', ')}]`)) {
      return fail();
    }
  }
  if (
    conditions.assets &&
    !check(
      assets.matches(conditions.assets, subject.asset),
      `asset ${subject.asset.name} matches "${spec.assets}"`,
    )
  )
    return fail();
  if (checks.length === 0) checks.push('no conditions: always holds');
  return { holds: true, checks };
}
