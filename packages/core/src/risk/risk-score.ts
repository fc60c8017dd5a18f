/**
 * Risk of one finding on one asset, 0-100, with every point accounted for.
 *
 * Model (README.md has the long form):
 *   threat  = Σ weightᵢ · signalᵢ            signals in 0..1: CVSS/10, EPSS, EPSS percentile,
 *                                              in KEV, KEV due date, ransomware use
 *   context = exposure · businessImpact · dataSensitivity     multipliers, 1 = keep all
 *   score   = min(100, threat · context)
 *
 * Why this shape: threat signals are evidence about the vulnerability and are additive (each
 * adds likelihood or severity on its own, none needs another to count); the asset's context is
 * not more evidence but a scale on all of it: an isolated, unimportant asset makes every threat
 * matter less in the same proportion. A product keeps the score monotone in every input (each
 * term and multiplier is non-decreasing, and validateRiskWeights enforces the order of the
 * context tables) and keeps context from ever creating risk out of nothing (no threat, no risk).
 *
 * Explanation: each threat signal contributes its points; each multiplier contributes its
 * Shapley share of the points the context removes (for a product of multipliers the exact,
 * order-independent split), and a `cap` row takes off whatever exceeds 100. Contributions are
 * rounded to hundredths by largest remainder so that they add up to the rounded score exactly.
 */
import { DATA_SENSITIVITIES, EXPOSURES } from '../assets/asset.ts';
import type { Asset, BusinessImpact, DataSensitivity, Exposure } from '../assets/asset.ts';
import { pwError } from '../errors/errors.ts';
import type { Finding, SeverityLabel } from '../matching/finding.ts';
import { SEVERITY_RANK } from '../matching/finding.ts';
import { calendarDateMs, DAY_MS, daysBetween, instantMs } from './instant.ts';
import type { Instant } from './instant.ts';
import { DEFAULT_RISK_WEIGHTS, validateRiskWeights } from './risk-weights.ts';
import type { RiskLevelThresholds, RiskWeights } from './risk-weights.ts';

export type RiskLevel = 'critical' | 'high' | 'medium' | 'low' | 'none';
export const RISK_LEVELS: readonly RiskLevel[] = Object.freeze(['critical', 'high', 'medium', 'low', 'none']);

export type RiskFactorName =
  | 'cvss'
  | 'epss-probability'
  | 'epss-percentile'
  | 'kev'
  | 'kev-due-date'
  | 'ransomware'
  | 'exposure'
  | 'business-impact'
  | 'data-sensitivity'
  | 'cap';

export interface RiskFactor {
  factor: RiskFactorName;
  /** The value the factor was computed from; null when it was unknown (the explanation says what was assumed). */
  input: string | number | boolean | null;
  /** Threat factors: points at the signal's maximum. Context factors: the multiplier applied. */
  weight: number;
  /** Points this factor adds (negative: removes); all contributions add up to the score. */
  contribution: number;
  explanation: string;
}

export interface RiskAssessment {
  score: number;
  level: RiskLevel;
  factors: RiskFactor[];
}

export interface RiskInput {
  finding: Pick<Finding, 'severity'> & Partial<Pick<Finding, 'id' | 'cvss' | 'epss' | 'kev'>>;
  /** The asset's context; absent or partial means unknown, which is scored conservatively. */
  asset?: Partial<Pick<Asset, 'businessImpact' | 'exposure' | 'dataSensitivity'>>;
  /** "Now" for KEV due dates: an RFC 3339 instant or epoch milliseconds. */
  at: Instant;
}

interface ThreatTerm {
  factor: RiskFactorName;
  input: RiskFactor['input'];
  weight: number;
  /** The signal in 0..1. */
  signal: number;
  explanation: string;
}

interface ContextTerm {
  factor: RiskFactorName;
  input: RiskFactor['input'];
  multiplier: number;
  explanation: string;
}

const BUSINESS_IMPACTS: readonly BusinessImpact[] = [1, 2, 3, 4, 5];

function invalidInput(field: string, message: string, value: unknown, record?: string): never {
  throw pwError('PW_ERR_INVALID_RECORD', `Invalid risk input ${field}: ${message}`, {
    field,
    value,
    ...(record === undefined ? {} : { record }),
  });
}

function fraction(field: string, value: unknown, record?: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    invalidInput(field, 'must be a number from 0 to 1', value, record);
  }
  return value;
}

function fmt(value: number, digits = 2): string {
  return String(Number(value.toFixed(digits)));
}

function points(weight: number, signal: number): string {
  return `${fmt(weight * signal)} of ${fmt(weight)} points`;
}

function cvssTerm(finding: RiskInput['finding'], weights: RiskWeights, record?: string): ThreatTerm {
  const weight = weights.cvss;
  if (finding.cvss) {
    const { baseScore, version, vector } = finding.cvss;
    if (typeof baseScore !== 'number' || !Number.isFinite(baseScore) || baseScore < 0 || baseScore > 10) {
      invalidInput('finding.cvss.baseScore', 'must be a number from 0 to 10', baseScore, record);
    }
    return {
      factor: 'cvss',
      input: baseScore,
      weight,
      signal: baseScore / 10,
      explanation: `CVSS ${version} base score ${baseScore} (${vector}): ${points(weight, baseScore / 10)}`,
    };
  }
  const label = finding.severity;
  const assumed = weights.severityScores[label];
  const why =
    label === 'unknown'
      ? `no CVSS vector and no severity rating: unknown, counted as base score ${assumed} (conservative default)`
      : `no CVSS vector: severity "${label}" counted as base score ${assumed}`;
  return {
    factor: 'cvss',
    input: label,
    weight,
    signal: assumed / 10,
    explanation: `${why}: ${points(weight, assumed / 10)}`,
  };
}

function epssTerms(finding: RiskInput['finding'], weights: RiskWeights, record?: string): ThreatTerm[] {
  const epss = finding.epss;
  const unknown = weights.unknownEpss;
  if (!epss) {
    return [
      {
        factor: 'epss-probability',
        input: null,
        weight: weights.epssProbability,
        signal: unknown.probability,
        explanation: `no EPSS score: unknown, counted as a typical CVE's probability ${unknown.probability}: ${points(weights.epssProbability, unknown.probability)}`,
      },
      {
        factor: 'epss-percentile',
        input: null,
        weight: weights.epssPercentile,
        signal: unknown.percentile,
        explanation: `no EPSS score: unknown, counted as percentile ${unknown.percentile}: ${points(weights.epssPercentile, unknown.percentile)}`,
      },
    ];
  }
  const probability = fraction('finding.epss.score', epss.score, record);
  const dated = epss.date ? ` on ${epss.date}` : '';
  const terms: ThreatTerm[] = [
    {
      factor: 'epss-probability',
      input: probability,
      weight: weights.epssProbability,
      signal: probability,
      explanation: `EPSS probability ${probability}${dated}: ${points(weights.epssProbability, probability)}`,
    },
  ];
  if (epss.percentile === undefined) {
    terms.push({
      factor: 'epss-percentile',
      input: null,
      weight: weights.epssPercentile,
      signal: unknown.percentile,
      explanation: `EPSS percentile unknown (files before 2021-09 have none), counted as ${unknown.percentile}: ${points(weights.epssPercentile, unknown.percentile)}`,
    });
  } else {
    const percentile = fraction('finding.epss.percentile', epss.percentile, record);
    terms.push({
      factor: 'epss-percentile',
      input: percentile,
      weight: weights.epssPercentile,
      signal: percentile,
      explanation: `EPSS percentile ${percentile}${dated}: ${points(weights.epssPercentile, percentile)}`,
    });
  }
  return terms;
}

function kevTerms(
  finding: RiskInput['finding'],
  atMs: number,
  weights: RiskWeights,
  record?: string,
): ThreatTerm[] {
  const kev = finding.kev;
  if (!kev) {
    return [
      {
        factor: 'kev',
        input: false,
        weight: weights.kev,
        signal: 0,
        explanation: 'not in CISA KEV: 0 points',
      },
      {
        factor: 'kev-due-date',
        input: null,
        weight: weights.kevDueDate,
        signal: 0,
        explanation: 'not in CISA KEV, no due date: 0 points',
      },
      {
        factor: 'ransomware',
        input: null,
        weight: weights.ransomware,
        signal: 0,
        explanation: 'not in CISA KEV, no known ransomware use: 0 points',
      },
    ];
  }
  // A KEV due date is a calendar day: remediation is due by its end, taken in UTC.
  const dueEndMs = calendarDateMs(kev.dueDate, 'finding.kev.dueDate', record) + DAY_MS;
  const daysLeft = daysBetween(atMs, dueEndMs);
  const soon = weights.kevDueSoonDays;
  let signal: number;
  let state: string;
  if (daysLeft <= 0) {
    signal = 1;
    state = `due date ${kev.dueDate} passed ${fmt(-daysLeft, 1)} days ago`;
  } else if (daysLeft <= soon) {
    signal = 0.5;
    state = `due date ${kev.dueDate} is ${fmt(daysLeft, 1)} days away (within ${soon})`;
  } else {
    signal = 0;
    state = `due date ${kev.dueDate} is ${fmt(daysLeft, 1)} days away (more than ${soon})`;
  }
  const ransomware = kev.knownRansomwareCampaignUse;
  const known = typeof ransomware === 'string' && ransomware.trim().toLowerCase() === 'known';
  return [
    {
      factor: 'kev',
      input: true,
      weight: weights.kev,
      signal: 1,
      explanation: `in CISA KEV since ${kev.dateAdded}: known to be exploited: ${points(weights.kev, 1)}`,
    },
    {
      factor: 'kev-due-date',
      input: kev.dueDate,
      weight: weights.kevDueDate,
      signal,
      explanation: `KEV ${state}: ${points(weights.kevDueDate, signal)}`,
    },
    {
      factor: 'ransomware',
      input: ransomware ?? null,
      weight: weights.ransomware,
      signal: known ? 1 : 0,
      explanation: known
        ? `KEV knownRansomwareCampaignUse "Known": ${points(weights.ransomware, 1)}`
        : `KEV knownRansomwareCampaignUse "${ransomware}": no known ransomware use: 0 points`,
    },
  ];
}

/** Which named values share `value` in a table: "(the same as internal)". */
function sameAs(table: Record<string, number>, value: number, exclude: string): string {
  const names = Object.keys(table).filter(
    (key) => key !== exclude && key !== 'unknown' && table[key] === value,
  );
  return names.length > 0 ? ` (the same as ${names.join(', ')})` : '';
}

function contextTerms(asset: RiskInput['asset'], weights: RiskWeights, record?: string): ContextTerm[] {
  const exposure = asset?.exposure;
  const impact = asset?.businessImpact;
  const sensitivity = asset?.dataSensitivity;
  if (exposure !== undefined && !EXPOSURES.includes(exposure as Exposure)) {
    invalidInput('asset.exposure', `must be one of ${EXPOSURES.join(', ')}`, exposure, record);
  }
  if (impact !== undefined && !BUSINESS_IMPACTS.includes(impact as BusinessImpact)) {
    invalidInput('asset.businessImpact', 'must be an integer from 1 to 5', impact, record);
  }
  if (sensitivity !== undefined && !DATA_SENSITIVITIES.includes(sensitivity as DataSensitivity)) {
    invalidInput(
      'asset.dataSensitivity',
      `must be one of ${DATA_SENSITIVITIES.join(', ')}`,
      sensitivity,
      record,
    );
  }
  const exposureTable = weights.exposure as Record<string, number>;
  const impactTable = weights.businessImpact as unknown as Record<string, number>;
  const sensitivityTable = weights.dataSensitivity as Record<string, number>;
  const unknownExposure = exposureTable.unknown as number;
  const unknownImpact = impactTable.unknown as number;
  const unknownSensitivity = sensitivityTable.unknown as number;
  return [
    exposure === undefined
      ? {
          factor: 'exposure',
          input: null,
          multiplier: unknownExposure,
          explanation: `exposure unknown: multiplier ${unknownExposure}${sameAs(exposureTable, unknownExposure, 'unknown')}, the default for unknown exposure (not treated as isolated)`,
        }
      : {
          factor: 'exposure',
          input: exposure,
          multiplier: weights.exposure[exposure],
          explanation: `exposure ${exposure}: multiplier ${weights.exposure[exposure]}`,
        },
    impact === undefined
      ? {
          factor: 'business-impact',
          input: null,
          multiplier: unknownImpact,
          explanation: `business impact unknown: multiplier ${unknownImpact}${sameAs(impactTable, unknownImpact, 'unknown')}, the conservative default (unknown is not treated as low)`,
        }
      : {
          factor: 'business-impact',
          input: impact,
          multiplier: weights.businessImpact[impact],
          explanation: `business impact ${impact} of 5: multiplier ${weights.businessImpact[impact]}`,
        },
    sensitivity === undefined
      ? {
          factor: 'data-sensitivity',
          input: null,
          multiplier: unknownSensitivity,
          explanation: `data sensitivity unknown: multiplier ${unknownSensitivity}${sameAs(sensitivityTable, unknownSensitivity, 'unknown')}, the conservative default (not treated as public)`,
        }
      : {
          factor: 'data-sensitivity',
          input: sensitivity,
          multiplier: weights.dataSensitivity[sensitivity],
          explanation: `data sensitivity ${sensitivity}: multiplier ${weights.dataSensitivity[sensitivity]}`,
        },
  ];
}

const FACTORIAL = [1, 1, 2, 6, 24, 120, 720];

/**
 * Shapley values of the multipliers in `base · Π fⱼ` relative to `base` (all fⱼ = 1): the
 * average, over every order of applying them, of what each one changed. They add up to
 * base · (Π fⱼ − 1) exactly, and each has the sign of fⱼ − 1.
 */
function shapleyOfProduct(base: number, multipliers: readonly number[]): number[] {
  const n = multipliers.length;
  const nFactorial = FACTORIAL[n] as number;
  return multipliers.map((own, j) => {
    let share = 0;
    for (let mask = 0; mask < 1 << n; mask++) {
      if (mask & (1 << j)) continue;
      let product = 1;
      let size = 0;
      for (let k = 0; k < n; k++) {
        if (mask & (1 << k)) {
          product *= multipliers[k] as number;
          size++;
        }
      }
      share +=
        (((FACTORIAL[size] as number) * (FACTORIAL[n - size - 1] as number)) / nFactorial) *
        product *
        (own - 1);
    }
    return base * share;
  });
}

/**
 * Rounds `values` to hundredths so that they add up to `totalCents` / 100 exactly: floor every
 * value, then hand the missing hundredths to the largest remainders (taking back from the
 * smallest if floating-point error overshot).
 */
function roundToTotal(values: readonly number[], totalCents: number): number[] {
  const scaled = values.map((value) => value * 100);
  const cents = scaled.map((value) => Math.floor(value));
  let missing = totalCents - cents.reduce((sum, value) => sum + value, 0);
  const byRemainder = scaled
    .map((value, index) => ({ index, remainder: value - (cents[index] as number) }))
    .sort((a, b) => b.remainder - a.remainder || a.index - b.index);
  for (let i = 0; missing > 0; i = (i + 1) % byRemainder.length, missing--) {
    const index = (byRemainder[i] as { index: number }).index;
    cents[index] = (cents[index] as number) + 1;
  }
  for (
    let i = byRemainder.length - 1;
    missing < 0;
    i = (i - 1 + byRemainder.length) % byRemainder.length, missing++
  ) {
    const index = (byRemainder[i] as { index: number }).index;
    cents[index] = (cents[index] as number) - 1;
  }
  // `+ 0` turns -0 into 0.
  return cents.map((value) => value / 100 + 0);
}

export function riskLevel(
  score: number,
  levels: RiskLevelThresholds = DEFAULT_RISK_WEIGHTS.levels,
): RiskLevel {
  if (score >= levels.critical) return 'critical';
  if (score >= levels.high) return 'high';
  if (score >= levels.medium) return 'medium';
  return score > 0 ? 'low' : 'none';
}

/** Scores one finding on one asset; see the module comment and README.md for the model. */
export function scoreRisk(input: RiskInput, weights: RiskWeights = DEFAULT_RISK_WEIGHTS): RiskAssessment {
  validateRiskWeights(weights);
  const finding = input?.finding;
  if (!finding || typeof finding !== 'object') invalidInput('finding', 'is required', finding);
  const record = typeof finding.id === 'string' ? finding.id : undefined;
  if (!Object.hasOwn(SEVERITY_RANK, finding.severity as SeverityLabel)) {
    invalidInput(
      'finding.severity',
      `must be one of ${Object.keys(SEVERITY_RANK).join(', ')}`,
      finding.severity,
      record,
    );
  }
  const atMs = instantMs(input.at, 'at', record);

  const threat = [
    cvssTerm(finding, weights, record),
    ...epssTerms(finding, weights, record),
    ...kevTerms(finding, atMs, weights, record),
  ];
  const context = contextTerms(input.asset, weights, record);
  const threatPoints = threat.map((term) => term.weight * term.signal);
  const base = threatPoints.reduce((sum, value) => sum + value, 0);
  const multipliers = context.map((term) => term.multiplier);
  const contextShares = shapleyOfProduct(base, multipliers);
  const raw = base * multipliers.reduce((product, value) => product * value, 1);
  const capped = Math.min(100, raw);
  const scoreCents = Math.round(capped * 100);

  const rows: {
    factor: RiskFactorName;
    input: RiskFactor['input'];
    weight: number;
    exact: number;
    /** The sentence, given the rounded contribution (so that both show the same figure). */
    explain: (contribution: number) => string;
  }[] = [
    ...threat.map((term, i) => ({
      factor: term.factor,
      input: term.input,
      weight: term.weight,
      exact: threatPoints[i] as number,
      explain: () => term.explanation,
    })),
    ...context.map((term, i) => ({
      factor: term.factor,
      input: term.input,
      weight: term.multiplier,
      exact: contextShares[i] as number,
      explain: (points: number) =>
        `${term.explanation}: ${
          points < 0
            ? `removes ${fmt(-points)} points`
            : points > 0
              ? `adds ${fmt(points)} points`
              : 'leaves the points as they are'
        }`,
    })),
  ];
  if (raw > 100) {
    rows.push({
      factor: 'cap',
      input: Number(raw.toFixed(2)),
      weight: 100,
      exact: 100 - raw,
      explain: (points: number) => `the score is capped at 100: removes ${fmt(-points)} points`,
    });
  }
  const exactSum = rows.reduce((sum, row) => sum + row.exact, 0);
  // Rounding may only absorb rounding: a larger gap would be a bug in the decomposition.
  if (Math.abs(exactSum - capped) > 1e-6 * (1 + raw)) {
    throw new Error(`risk contributions add up to ${exactSum}, not ${raw}: decomposition bug`);
  }
  const rounded = roundToTotal(
    rows.map((row) => row.exact),
    scoreCents,
  );
  const score = scoreCents / 100;
  return {
    score,
    level: riskLevel(score, weights.levels),
    factors: rows.map((row, i) => ({
      factor: row.factor,
      input: row.input,
      weight: row.weight,
      contribution: rounded[i] as number,
      explanation: row.explain(rounded[i] as number),
    })),
  };
}
