/**
 * The tunable part of the risk score (the model itself is in risk-score.ts and README.md). Two
 * kinds of weight, because they answer two different questions:
 *  - threat points: how many of the 100 points a threat signal is worth at its maximum
 *    (CVSS 10, EPSS 1, in KEV...). They add up;
 *  - context multipliers: how much of those points is left for this asset (1 keeps them all).
 *    They multiply, so an isolated, unimportant asset damps every threat signal alike.
 * Weights are data: an operator may replace any of them; `validateRiskWeights` refuses values
 * that would break the score's guarantees (range, monotonicity) and names the field.
 */
import type { BusinessImpact, DataSensitivity, Exposure } from '../assets/asset.ts';
import { pwError } from '../errors/errors.ts';
import type { SeverityLabel } from '../matching/finding.ts';

export interface RiskLevelThresholds {
  /** Lowest score rated `critical`; `high` and `medium` likewise. Any score above 0 is at least `low`. */
  critical: number;
  high: number;
  medium: number;
}

export interface RiskWeights {
  /** Points for a CVSS base score of 10; a score of s earns s/10 of them. */
  cvss: number;
  /** Points for an EPSS probability of 1 (linear). */
  epssProbability: number;
  /** Points for an EPSS percentile of 1 (linear). */
  epssPercentile: number;
  /** Points for being in CISA's Known Exploited Vulnerabilities catalogue. */
  kev: number;
  /** Points once the KEV due date has passed; half of them within `kevDueSoonDays` of it. */
  kevDueDate: number;
  kevDueSoonDays: number;
  /** Points when KEV says `knownRansomwareCampaignUse: Known`. */
  ransomware: number;
  /** CVSS-equivalent base score (0-10) for a finding that has no CVSS vector, by its severity label. */
  severityScores: Record<SeverityLabel, number>;
  /** EPSS values assumed for a CVE that has no EPSS score (or a file without percentiles). */
  unknownEpss: { probability: number; percentile: number };
  exposure: Record<Exposure | 'unknown', number>;
  businessImpact: Record<BusinessImpact | 'unknown', number>;
  dataSensitivity: Record<DataSensitivity | 'unknown', number>;
  levels: RiskLevelThresholds;
}

/**
 * Defaults. Threat points add up to 100: a finding with CVSS 10, EPSS 1 at the 100th percentile,
 * in KEV, past its due date and used by ransomware scores 100 on an internet-facing, business-
 * critical asset holding restricted data. CVSS gets 40 because it is the one signal nearly every
 * finding has. Exploitation evidence gets the other 60, and observed exploitation (KEV 25, due
 * date 5, ransomware 10) outweighs predicted exploitation (EPSS 10 + 10): a KEV entry is known to
 * be attacked, and should rank high even when its CVSS or EPSS is missing.
 */
export const DEFAULT_RISK_WEIGHTS: RiskWeights = deepFreeze({
  cvss: 40,
  epssProbability: 10,
  epssPercentile: 10,
  kev: 25,
  kevDueDate: 5,
  kevDueSoonDays: 14,
  ransomware: 10,
  // Midpoints of FIRST's qualitative bands (critical 9.0-10, high 7.0-8.9, medium 4.0-6.9,
  // low 0.1-3.9). `negligible` is a distro's "no fix needed" verdict, so it counts as 0.
  // `unknown` (no rating at all) counts as 7.0, the boundary of `high`, around which published
  // CVSS v3 scores concentrate: ranking an unrated vulnerability low is the costlier mistake.
  severityScores: { critical: 9.5, high: 8.0, medium: 5.5, low: 2.0, negligible: 0, unknown: 7.0 },
  // A CVE without an EPSS score is taken to be a typical one: the median percentile (0.5 by
  // definition) and the probability found at that percentile in a real EPSS file (2026-09-29,
  // model v2026.06.15: 0.00491 at percentile 0.398, 0.00775 at 0.540).
  unknownEpss: { probability: 0.006, percentile: 0.5 },
  // Unknown context is taken one notch below the worst case: never as the safest value (an
  // unclassified asset is not a low-risk asset), but without ranking every unclassified asset
  // above those someone deliberately marked internet-facing, business-critical or restricted.
  exposure: { internet: 1, internal: 0.75, isolated: 0.45, unknown: 0.75 },
  businessImpact: { 5: 1, 4: 0.9, 3: 0.8, 2: 0.65, 1: 0.5, unknown: 0.9 },
  dataSensitivity: { restricted: 1, confidential: 0.95, internal: 0.9, public: 0.85, unknown: 0.95 },
  levels: { critical: 70, high: 40, medium: 20 },
});

type Path = string;

function deepFreeze<T extends object>(value: T): T {
  for (const inner of Object.values(value)) if (inner && typeof inner === 'object') deepFreeze(inner);
  return Object.freeze(value);
}

function invalid(field: Path, message: string, value: unknown): never {
  throw pwError('PW_ERR_INVALID_RECORD', `Invalid risk weight ${field}: ${message}`, {
    record: 'risk-weights',
    field,
    value,
  });
}

function numberAt(field: Path, value: unknown, max = Number.POSITIVE_INFINITY): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) invalid(field, 'must be a finite number', value);
  if (value < 0) invalid(field, 'must not be negative', value);
  if (value > max) invalid(field, `must be at most ${max}`, value);
  return value;
}

function tableAt<K extends string | number>(
  field: Path,
  value: unknown,
  keys: readonly K[],
  max?: number,
): Record<K, number> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) invalid(field, 'must be an object', value);
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!keys.map(String).includes(key)) invalid(`${field}.${key}`, 'is not a known key', record[key]);
  }
  const table = {} as Record<K, number>;
  for (const key of keys) table[key] = numberAt(`${field}.${key}`, record[String(key)], max);
  return table;
}

/** `order` runs from the riskiest value down: each must be at least the next one. */
function requireOrder<K extends string | number>(
  field: Path,
  table: Record<K, number>,
  order: readonly K[],
): void {
  for (let i = 1; i < order.length; i++) {
    const higher = order[i - 1] as K;
    const lower = order[i] as K;
    if (table[lower] > table[higher]) {
      invalid(
        `${field}.${String(lower)}`,
        `must not exceed ${field}.${String(higher)} (${table[higher]}): a riskier value never scores lower`,
        table[lower],
      );
    }
  }
}

const TOP_LEVEL_KEYS: readonly (keyof RiskWeights)[] = [
  'cvss',
  'epssProbability',
  'epssPercentile',
  'kev',
  'kevDueDate',
  'kevDueSoonDays',
  'ransomware',
  'severityScores',
  'unknownEpss',
  'exposure',
  'businessImpact',
  'dataSensitivity',
  'levels',
];

/** Weight sets this module froze after validating them: they cannot have changed since. */
const trusted = new WeakSet<object>();

/**
 * Checks every weight: finite, non-negative numbers; probabilities at most 1, severity scores at
 * most 10; context tables ordered so that a riskier value never gets a smaller multiplier (the
 * score's monotonicity depends on it); level thresholds strictly descending. Returns the weights.
 */
export function validateRiskWeights(weights: RiskWeights): RiskWeights {
  if (trusted.has(weights)) return weights;
  if (!weights || typeof weights !== 'object') invalid('(weights)', 'must be an object', weights);
  const record = weights as unknown as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!(TOP_LEVEL_KEYS as readonly string[]).includes(key)) invalid(key, 'is not a known key', record[key]);
  }
  for (const key of [
    'cvss',
    'epssProbability',
    'epssPercentile',
    'kev',
    'kevDueDate',
    'kevDueSoonDays',
    'ransomware',
  ])
    numberAt(key, record[key]);
  const severity = tableAt(
    'severityScores',
    record.severityScores,
    ['critical', 'high', 'medium', 'low', 'negligible', 'unknown'] as const,
    10,
  );
  requireOrder('severityScores', severity, ['critical', 'high', 'medium', 'low', 'negligible'] as const);
  tableAt('unknownEpss', record.unknownEpss, ['probability', 'percentile'] as const, 1);
  const exposure = tableAt('exposure', record.exposure, [
    'internet',
    'internal',
    'isolated',
    'unknown',
  ] as const);
  requireOrder('exposure', exposure, ['internet', 'internal', 'isolated'] as const);
  const impact = tableAt('businessImpact', record.businessImpact, [5, 4, 3, 2, 1, 'unknown'] as const);
  requireOrder('businessImpact', impact, [5, 4, 3, 2, 1] as const);
  const sensitivity = tableAt('dataSensitivity', record.dataSensitivity, [
    'restricted',
    'confidential',
    'internal',
    'public',
    'unknown',
  ] as const);
  requireOrder('dataSensitivity', sensitivity, ['restricted', 'confidential', 'internal', 'public'] as const);
  const levels = tableAt('levels', record.levels, ['critical', 'high', 'medium'] as const, 100);
  if (!(levels.critical > levels.high)) invalid('levels.high', 'must be below levels.critical', levels.high);
  if (!(levels.high > levels.medium)) invalid('levels.medium', 'must be below levels.high', levels.medium);
  if (!(levels.medium > 0))
    invalid('levels.medium', 'must be above 0 (a score of 0 is rated none)', levels.medium);
  return weights;
}

export type RiskWeightOverrides = {
  [K in keyof RiskWeights]?: RiskWeights[K] extends number ? number : Partial<RiskWeights[K]>;
};

/** The defaults with some weights replaced (tables are merged key by key), validated and frozen. */
export function riskWeightsWith(
  overrides: RiskWeightOverrides,
  base: RiskWeights = DEFAULT_RISK_WEIGHTS,
): RiskWeights {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    const current = (base as unknown as Record<string, unknown>)[key];
    merged[key] =
      value && typeof value === 'object' && current && typeof current === 'object'
        ? { ...current, ...value }
        : value;
  }
  return trust(validateRiskWeights(deepFreeze(merged as unknown as RiskWeights)));
}

function trust(weights: RiskWeights): RiskWeights {
  trusted.add(weights);
  return weights;
}

trust(validateRiskWeights(DEFAULT_RISK_WEIGHTS));
