import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../../../../test-support/shared-data.ts';
import type { BusinessImpact, DataSensitivity, Exposure } from '../assets/asset.ts';
import { PatchwardenError } from '../errors/errors.ts';
import { scoreCvss } from '../intel/cvss.ts';
import type { SeverityLabel } from '../matching/finding.ts';
import { riskLevel, RISK_LEVELS, scoreRisk } from './risk-score.ts';
import type { RiskAssessment, RiskInput, RiskLevel } from './risk-score.ts';
import { DEFAULT_RISK_WEIGHTS, riskWeightsWith, validateRiskWeights } from './risk-weights.ts';
import type { RiskWeights } from './risk-weights.ts';
import { cve5Facts, kevCatalogue, parseEpssCsv } from './testing/intel-fixtures.ts';

const kev = kevCatalogue(
  JSON.parse(
    gunzipSync(readFileSync(fixturePath('kev/known_exploited_vulnerabilities.json.gz'))).toString('utf8'),
  ),
);
const epss2023 = parseEpssCsv(
  gunzipSync(readFileSync(fixturePath('epss/vuls-data-update__epss_scores-2023-03-07.csv.gz'))).toString(
    'utf8',
  ),
);
const epss2021 = parseEpssCsv(
  gunzipSync(readFileSync(fixturePath('epss/vuls-data-update__epss_scores-2021-04-14.csv.gz'))).toString(
    'utf8',
  ),
);
const php = cve5Facts(
  JSON.parse(readFileSync(fixturePath('cve5/vulnrichment/2024/4xxx/CVE-2024-4577.json'), 'utf8')),
);

function kevFinding(cveId: string) {
  const entry = kev.get(cveId);
  if (!entry) throw new Error(`${cveId} is not in the KEV fixture`);
  return {
    dateAdded: entry.dateAdded,
    dueDate: entry.dueDate,
    knownRansomwareCampaignUse: entry.knownRansomwareCampaignUse,
  };
}

function contributionSum(assessment: RiskAssessment): number {
  return assessment.factors.reduce((sum, factor) => sum + factor.contribution, 0);
}

function factor(assessment: RiskAssessment, name: string) {
  const found = assessment.factors.find((f) => f.factor === name);
  if (!found) throw new Error(`no factor ${name}`);
  return found;
}

function errorOf(run: () => unknown): PatchwardenError {
  try {
    run();
  } catch (error) {
    if (error instanceof PatchwardenError) return error;
    throw error;
  }
  throw new Error('expected a PatchwardenError');
}

const V31_CRITICAL = {
  version: '3.1',
  vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
  baseScore: 9.8,
};

describe('scoreRisk: the model on worked examples', () => {
  it('adds threat points and scales them by the context: 53.2 x 0.75 x 0.8 x 0.9 = 28.73 (medium)', () => {
    const result = scoreRisk({
      finding: { severity: 'critical', cvss: V31_CRITICAL, epss: { score: 0.5, percentile: 0.9 } },
      asset: { exposure: 'internal', businessImpact: 3, dataSensitivity: 'internal' },
      at: '2024-07-10T00:00:00Z',
    });
    expect(result.score).toBe(28.73);
    expect(result.level).toBe('medium');
    expect(result.factors.map((f) => [f.factor, f.contribution])).toEqual([
      ['cvss', 39.2],
      ['epss-probability', 5],
      ['epss-percentile', 9],
      ['kev', 0],
      ['kev-due-date', 0],
      ['ransomware', 0],
      // Shapley shares of the 24.47 points the context removes.
      ['exposure', -11.39],
      ['business-impact', -8.87],
      ['data-sensitivity', -4.21],
    ]);
    expect(contributionSum(result)).toBeCloseTo(result.score, 9);
    expect(factor(result, 'exposure')).toMatchObject({
      input: 'internal',
      weight: 0.75,
      explanation: 'exposure internal: multiplier 0.75: removes 11.39 points',
    });
  });

  it('scores the real CVE-2024-4577 (PHP-CGI, KEV, ransomware, due 2024-07-03) critical on an internet-facing asset', () => {
    const cvss = scoreCvss(php.ratings[0]?.score as string);
    const result = scoreRisk({
      finding: {
        id: 'CVE-2024-4577',
        severity: cvss.severity === 'none' ? 'negligible' : cvss.severity,
        cvss: { version: cvss.version, vector: cvss.vector, baseScore: cvss.baseScore },
        kev: kevFinding('CVE-2024-4577'),
      },
      asset: { exposure: 'internet', businessImpact: 5, dataSensitivity: 'confidential' },
      at: '2024-07-10T00:00:00Z',
    });
    expect(cvss.baseScore).toBe(9.8);
    expect(result.level).toBe('critical');
    expect(result.score).toBe(80.05);
    expect(factor(result, 'kev-due-date').explanation).toContain('due date 2024-07-03 passed 6 days ago');
    expect(factor(result, 'ransomware').contribution).toBe(10);
    expect(factor(result, 'epss-probability')).toMatchObject({ input: null });
    expect(factor(result, 'epss-probability').explanation).toMatch(/^no EPSS score: unknown/);
  });

  it('ranks real EPSS rows: CVE-2020-5902 (0.97567, pct 0.99995) above CVE-2018-19571 (0.00113, pct 0.43131)', () => {
    const [f5, gitlab] = ['CVE-2020-5902', 'CVE-2018-19571'].map((cve) => {
      const row = epss2023.find((r) => r.cve === cve);
      if (!row) throw new Error(cve);
      return scoreRisk({
        finding: {
          id: cve,
          severity: 'high',
          epss: { score: row.epss, percentile: row.percentile, date: row.date },
        },
        at: '2023-03-07T00:00:00Z',
      });
    }) as [RiskAssessment, RiskAssessment];
    expect(f5.score).toBeGreaterThan(gitlab.score);
    expect(factor(f5, 'epss-probability').explanation).toBe(
      'EPSS probability 0.97567 on 2023-03-07: 9.76 of 10 points',
    );
  });

  it('handles the oldest EPSS layout (no percentile) by saying the percentile is unknown', () => {
    const row = epss2021[0];
    expect(row?.percentile).toBeUndefined();
    const result = scoreRisk({ finding: { severity: 'high', epss: { score: row?.epss as number } }, at: 0 });
    expect(factor(result, 'epss-percentile')).toMatchObject({ input: null, contribution: 5 });
    expect(factor(result, 'epss-percentile').explanation).toContain('percentile unknown');
  });
});

describe('scoreRisk: unknown inputs are explicit and conservative', () => {
  it('uses the severity label when there is no CVSS, and 7.0 when even the label is unknown', () => {
    const high = scoreRisk({ finding: { severity: 'high' }, at: 0 });
    expect(factor(high, 'cvss')).toMatchObject({ input: 'high', contribution: 32 });
    expect(factor(high, 'cvss').explanation).toContain(
      'no CVSS vector: severity "high" counted as base score 8',
    );
    const unknown = scoreRisk({ finding: { severity: 'unknown' }, at: 0 });
    expect(factor(unknown, 'cvss')).toMatchObject({ input: 'unknown', contribution: 28 });
    expect(factor(unknown, 'cvss').explanation).toMatch(
      /unknown, counted as base score 7 \(conservative default\)/,
    );
  });

  it('does not treat an unknown business impact as low: it scores as impact 4, above 1 to 3', () => {
    const score = (businessImpact?: BusinessImpact) =>
      scoreRisk({ finding: { severity: 'high', cvss: V31_CRITICAL }, asset: { businessImpact }, at: 0 })
        .score;
    expect(score(undefined)).toBe(score(4));
    expect(score(undefined)).toBeGreaterThan(score(3));
    expect(score(undefined)).toBeGreaterThan(score(1));
    const result = scoreRisk({ finding: { severity: 'high' }, at: 0 });
    expect(factor(result, 'business-impact')).toMatchObject({ input: null, weight: 0.9 });
    expect(factor(result, 'business-impact').explanation).toMatch(
      /business impact unknown: multiplier 0.9 \(the same as 4\), the conservative default \(unknown is not treated as low\)/,
    );
    expect(factor(result, 'exposure').explanation).toContain(
      'exposure unknown: multiplier 0.75 (the same as internal)',
    );
    expect(factor(result, 'data-sensitivity').explanation).toContain('(the same as confidential)');
  });

  it('rates KEV due dates: passed = all points, within 14 days = half, later = none; "at" as RFC 3339 or epoch ms', () => {
    const kevEntry = {
      dateAdded: '2024-06-12',
      dueDate: '2024-07-03',
      knownRansomwareCampaignUse: 'Unknown',
    };
    const due = (at: string | number) =>
      factor(scoreRisk({ finding: { severity: 'high', kev: kevEntry }, at }), 'kev-due-date').contribution;
    expect(due('2024-06-12T09:00:00Z')).toBe(0);
    expect(due('2024-06-25T00:00:00Z')).toBe(2.5);
    expect(due('2024-07-03T23:59:59Z')).toBe(2.5);
    expect(due('2024-07-04T00:00:00Z')).toBe(5);
    expect(due(Date.parse('2024-07-04T00:00:00Z'))).toBe(5);
    expect(due('2024-07-04T02:00:00+02:00')).toBe(5);
  });
});

describe('scoreRisk: validation', () => {
  it('names the input field that is wrong', () => {
    const base: RiskInput = { finding: { id: 'CVE-2024-0001', severity: 'high' }, at: 0 };
    expect(errorOf(() => scoreRisk({ ...base, at: '10/07/2024' })).details).toMatchObject({ field: 'at' });
    expect(
      errorOf(() => scoreRisk({ ...base, finding: { ...base.finding, epss: { score: 1.5 } } })).details,
    ).toMatchObject({ field: 'finding.epss.score', record: 'CVE-2024-0001' });
    expect(
      errorOf(() => scoreRisk({ ...base, finding: { severity: 'severe' as SeverityLabel } })).details,
    ).toMatchObject({ field: 'finding.severity' });
    const badDue = { dateAdded: '2024-06-12', dueDate: '2024-02-30', knownRansomwareCampaignUse: 'Known' };
    expect(
      errorOf(() => scoreRisk({ ...base, finding: { severity: 'high', kev: badDue } })).details,
    ).toMatchObject({
      field: 'finding.kev.dueDate',
    });
    expect(
      errorOf(() => scoreRisk({ ...base, asset: { exposure: 'dmz' as Exposure } })).details,
    ).toMatchObject({
      field: 'asset.exposure',
    });
    const badCvss = { ...V31_CRITICAL, baseScore: 11 };
    expect(errorOf(() => scoreRisk({ ...base, finding: { severity: 'high', cvss: badCvss } })).code).toBe(
      'PW_ERR_INVALID_RECORD',
    );
  });

  it('refuses invalid weights with PW_ERR_INVALID_RECORD naming the field', () => {
    const cases: [RiskWeights, string][] = [
      [{ ...DEFAULT_RISK_WEIGHTS, cvss: -1 }, 'cvss'],
      [{ ...DEFAULT_RISK_WEIGHTS, kev: Number.NaN }, 'kev'],
      [
        { ...DEFAULT_RISK_WEIGHTS, exposure: { ...DEFAULT_RISK_WEIGHTS.exposure, internal: 1.1 } },
        'exposure.internal',
      ],
      [
        { ...DEFAULT_RISK_WEIGHTS, businessImpact: { ...DEFAULT_RISK_WEIGHTS.businessImpact, 2: 0.1 } },
        'businessImpact.1',
      ],
      [
        { ...DEFAULT_RISK_WEIGHTS, severityScores: { ...DEFAULT_RISK_WEIGHTS.severityScores, critical: 11 } },
        'severityScores.critical',
      ],
      [
        { ...DEFAULT_RISK_WEIGHTS, unknownEpss: { probability: 2, percentile: 0.5 } },
        'unknownEpss.probability',
      ],
      [{ ...DEFAULT_RISK_WEIGHTS, levels: { critical: 50, high: 60, medium: 20 } }, 'levels.high'],
      [{ ...DEFAULT_RISK_WEIGHTS, cvs: 45 } as unknown as RiskWeights, 'cvs'],
      [
        { ...DEFAULT_RISK_WEIGHTS, exposure: { internet: 1, internal: 0.5 } } as unknown as RiskWeights,
        'exposure.isolated',
      ],
    ];
    for (const [weights, field] of cases) {
      const error = errorOf(() => validateRiskWeights(weights));
      expect(error.code, field).toBe('PW_ERR_INVALID_RECORD');
      expect(error.details.field, field).toBe(field);
      expect(() => scoreRisk({ finding: { severity: 'high' }, at: 0 }, weights)).toThrow(PatchwardenError);
    }
  });

  it('merges partial weights over the defaults and validates the result', () => {
    const weights = riskWeightsWith({ kev: 30, exposure: { isolated: 0.2 } });
    expect(weights.kev).toBe(30);
    expect(weights.exposure).toEqual({ internet: 1, internal: 0.75, isolated: 0.2, unknown: 0.75 });
    expect(Object.isFrozen(weights.exposure)).toBe(true);
    expect(() => riskWeightsWith({ exposure: { isolated: 0.9 } })).toThrow(/exposure.isolated/);
  });

  it('caps at 100 with a "cap" factor when weights allow more, keeping the sum exact', () => {
    const weights = riskWeightsWith({ cvss: 100, kev: 100 });
    const result = scoreRisk(
      {
        finding: { severity: 'critical', cvss: V31_CRITICAL, kev: kevFinding('CVE-2024-4577') },
        at: '2025-01-01T00:00:00Z',
      },
      weights,
    );
    expect(result.score).toBe(100);
    expect(factor(result, 'cap').contribution).toBeLessThan(0);
    expect(contributionSum(result)).toBeCloseTo(100, 9);
  });

  it('rates levels at the documented thresholds', () => {
    expect([0, 0.01, 19.99, 20, 39.99, 40, 69.99, 70, 100].map((s) => riskLevel(s))).toEqual([
      'none',
      'low',
      'low',
      'medium',
      'medium',
      'high',
      'high',
      'critical',
      'critical',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

const SEVERITIES: SeverityLabel[] = ['critical', 'high', 'medium', 'low', 'negligible', 'unknown'];
const EXPOSURE_ORDER: Exposure[] = ['isolated', 'internal', 'internet'];
const SENSITIVITY_ORDER: DataSensitivity[] = ['public', 'internal', 'confidential', 'restricted'];
const START = Date.UTC(2021, 0, 1);
const DAY = 86_400_000;

const unit = fc.double({ min: 0, max: 1, noNaN: true });
const dateOf = (day: number) => new Date(START + day * DAY).toISOString().slice(0, 10);

const findingArb = fc.record({
  severity: fc.constantFrom(...SEVERITIES),
  cvss: fc.option(
    fc
      .integer({ min: 0, max: 100 })
      .map((n) => ({ version: '3.1', vector: V31_CRITICAL.vector, baseScore: n / 10 })),
    { nil: undefined },
  ),
  epss: fc.option(fc.record({ score: unit, percentile: fc.option(unit, { nil: undefined }) }), {
    nil: undefined,
  }),
  kev: fc.option(
    fc.record({
      dateAdded: fc.integer({ min: 0, max: 1500 }).map(dateOf),
      dueDate: fc.integer({ min: 0, max: 1600 }).map(dateOf),
      knownRansomwareCampaignUse: fc.constantFrom('Known', 'Unknown'),
    }),
    { nil: undefined },
  ),
});

const assetArb = fc.record(
  {
    exposure: fc.constantFrom(...EXPOSURE_ORDER),
    businessImpact: fc.constantFrom<BusinessImpact>(1, 2, 3, 4, 5),
    dataSensitivity: fc.constantFrom(...SENSITIVITY_ORDER),
  },
  { requiredKeys: [] },
);

const inputArb: fc.Arbitrary<RiskInput> = fc.record({
  finding: findingArb,
  asset: fc.option(assetArb, { nil: undefined }),
  at: fc.integer({ min: START, max: START + 1700 * DAY }),
});

/** Descending values, so that a riskier key never gets less (what validateRiskWeights demands). */
function descending(count: number, max: number) {
  return fc
    .array(fc.double({ min: 0, max, noNaN: true }), { minLength: count, maxLength: count })
    .map((values) => values.sort((a, b) => b - a));
}

const weightsArb: fc.Arbitrary<RiskWeights> = fc
  .record({
    points: fc.array(fc.double({ min: 0, max: 60, noNaN: true }), { minLength: 6, maxLength: 6 }),
    soon: fc.integer({ min: 0, max: 60 }),
    severity: descending(5, 10),
    unknownSeverity: fc.double({ min: 0, max: 10, noNaN: true }),
    unknownEpss: fc.record({ probability: unit, percentile: unit }),
    exposure: descending(3, 1.5),
    impact: descending(5, 1.5),
    sensitivity: descending(4, 1.5),
    unknowns: fc.array(fc.double({ min: 0, max: 1.5, noNaN: true }), { minLength: 3, maxLength: 3 }),
    levels: fc.uniqueArray(fc.integer({ min: 1, max: 100 }), { minLength: 3, maxLength: 3 }),
  })
  .map((w) => {
    const [cvss = 0, epssProbability = 0, epssPercentile = 0, kevPoints = 0, kevDueDate = 0, ransomware = 0] =
      w.points;
    const [critical = 0, high = 0, medium = 0, low = 0, negligible = 0] = w.severity;
    const [internet = 0, internal = 0, isolated = 0] = w.exposure;
    const [i5 = 0, i4 = 0, i3 = 0, i2 = 0, i1 = 0] = w.impact;
    const [restricted = 0, confidential = 0, internalData = 0, publicData = 0] = w.sensitivity;
    const [ue = 0, ui = 0, us = 0] = w.unknowns;
    const [l1 = 0, l2 = 0, l3 = 0] = [...w.levels].sort((a, b) => b - a);
    return validateRiskWeights({
      cvss,
      epssProbability,
      epssPercentile,
      kev: kevPoints,
      kevDueDate,
      kevDueSoonDays: w.soon,
      ransomware,
      severityScores: { critical, high, medium, low, negligible, unknown: w.unknownSeverity },
      unknownEpss: w.unknownEpss,
      exposure: { internet, internal, isolated, unknown: ue },
      businessImpact: { 5: i5, 4: i4, 3: i3, 2: i2, 1: i1, unknown: ui },
      dataSensitivity: { restricted, confidential, internal: internalData, public: publicData, unknown: us },
      levels: { critical: l1, high: l2, medium: l3 },
    });
  });

const anyWeights = fc.oneof(fc.constant(DEFAULT_RISK_WEIGHTS), weightsArb);

/** Asserts score(higher) >= score(lower) for the same weights. */
function noLower(lower: RiskInput, higher: RiskInput, weights: RiskWeights): void {
  expect(scoreRisk(higher, weights).score).toBeGreaterThanOrEqual(scoreRisk(lower, weights).score);
}

describe('scoreRisk: properties', () => {
  it('stays within 0-100, its contributions add up to the score, and its level follows the thresholds', () => {
    fc.assert(
      fc.property(inputArb, anyWeights, (input, weights) => {
        const result = scoreRisk(input, weights);
        expect(result.score).toBeGreaterThanOrEqual(0);
        expect(result.score).toBeLessThanOrEqual(100);
        expect(Math.abs(result.score * 100 - Math.round(result.score * 100))).toBeLessThan(1e-6);
        expect(Math.abs(contributionSum(result) - result.score)).toBeLessThan(1e-9);
        expect(result.level).toBe(riskLevel(result.score, weights.levels));
        expect(RISK_LEVELS).toContain(result.level);
        for (const row of result.factors) expect(row.explanation.length).toBeGreaterThan(0);
      }),
      { numRuns: 400 },
    );
  });

  it('never lowers the score when CVSS, EPSS probability or EPSS percentile rises', () => {
    fc.assert(
      fc.property(inputArb, anyWeights, unit, unit, (input, weights, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const cvss = (n: number): RiskInput => ({
          ...input,
          finding: { ...input.finding, cvss: { ...V31_CRITICAL, baseScore: Math.round(n * 100) / 10 } },
        });
        noLower(cvss(lo), cvss(hi), weights);
        const percentile = input.finding.epss?.percentile;
        const probability = (p: number): RiskInput => ({
          ...input,
          finding: { ...input.finding, epss: { score: p, percentile } },
        });
        noLower(probability(lo), probability(hi), weights);
        const score = input.finding.epss?.score ?? 0.3;
        const pct = (p: number): RiskInput => ({
          ...input,
          finding: { ...input.finding, epss: { score, percentile: p } },
        });
        noLower(pct(lo), pct(hi), weights);
      }),
      { numRuns: 300 },
    );
  });

  it('never lowers the score for entering KEV, known ransomware use, or time passing towards the due date', () => {
    fc.assert(
      fc.property(
        inputArb,
        anyWeights,
        fc.integer({ min: 0, max: 200 * DAY }),
        fc.constantFrom('Known', 'Unknown'),
        (input, weights, later, ransomware) => {
          const kevEntry = input.finding.kev ?? {
            dateAdded: '2022-01-01',
            dueDate: '2022-01-22',
            knownRansomwareCampaignUse: ransomware,
          };
          const without: RiskInput = { ...input, finding: { ...input.finding, kev: undefined } };
          const withKev: RiskInput = { ...input, finding: { ...input.finding, kev: kevEntry } };
          noLower(without, withKev, weights);
          noLower(
            {
              ...withKev,
              finding: { ...withKev.finding, kev: { ...kevEntry, knownRansomwareCampaignUse: 'Unknown' } },
            },
            {
              ...withKev,
              finding: { ...withKev.finding, kev: { ...kevEntry, knownRansomwareCampaignUse: 'Known' } },
            },
            weights,
          );
          noLower(withKev, { ...withKev, at: (withKev.at as number) + later }, weights);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never scores internet below internal below isolated, nor a higher impact or sensitivity lower', () => {
    const pairs = <T>(order: readonly T[]) =>
      fc
        .tuple(fc.nat(order.length - 1), fc.nat(order.length - 1))
        .map(([i, j]) => [order[Math.min(i, j)] as T, order[Math.max(i, j)] as T] as const);
    fc.assert(
      fc.property(
        inputArb,
        anyWeights,
        pairs(EXPOSURE_ORDER),
        pairs<BusinessImpact>([1, 2, 3, 4, 5]),
        pairs(SENSITIVITY_ORDER),
        (input, weights, [eLow, eHigh], [iLow, iHigh], [sLow, sHigh]) => {
          const asset = input.asset ?? {};
          noLower(
            { ...input, asset: { ...asset, exposure: eLow } },
            { ...input, asset: { ...asset, exposure: eHigh } },
            weights,
          );
          noLower(
            { ...input, asset: { ...asset, businessImpact: iLow } },
            { ...input, asset: { ...asset, businessImpact: iHigh } },
            weights,
          );
          noLower(
            { ...input, asset: { ...asset, dataSensitivity: sLow } },
            { ...input, asset: { ...asset, dataSensitivity: sHigh } },
            weights,
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('splits the context effect as the average over all 6 orders of applying the multipliers', () => {
    const orders = [
      [0, 1, 2],
      [0, 2, 1],
      [1, 0, 2],
      [1, 2, 0],
      [2, 0, 1],
      [2, 1, 0],
    ];
    const names = ['exposure', 'business-impact', 'data-sensitivity'];
    fc.assert(
      fc.property(inputArb, anyWeights, (input, weights) => {
        const result = scoreRisk(input, weights);
        if (result.factors.some((f) => f.factor === 'cap')) return;
        const threat = result.factors.slice(0, 6).reduce((sum, f) => sum + f.contribution, 0);
        const multipliers = names.map((name) => factor(result, name).weight);
        const expected = [0, 0, 0];
        for (const order of orders) {
          let points = threat;
          for (const index of order) {
            const next = points * (multipliers[index] as number);
            expected[index] = (expected[index] as number) + (next - points) / orders.length;
            points = next;
          }
        }
        // Threat contributions are themselves rounded to hundredths: allow for that and for rounding.
        names.forEach((name, i) =>
          expect(Math.abs(factor(result, name).contribution - (expected[i] as number))).toBeLessThan(0.06),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('gives a factor a finding does not have no points, and context factors only remove points (multipliers <= 1)', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const result = scoreRisk(input);
        for (const name of ['exposure', 'business-impact', 'data-sensitivity'])
          expect(factor(result, name).contribution).toBeLessThanOrEqual(0);
        for (const name of [
          'cvss',
          'epss-probability',
          'epss-percentile',
          'kev',
          'kev-due-date',
          'ransomware',
        ])
          expect(factor(result, name).contribution).toBeGreaterThanOrEqual(0);
        if (!input.finding.kev) {
          expect(factor(result, 'kev').contribution).toBe(0);
          expect(factor(result, 'ransomware').contribution).toBe(0);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('scoreRisk on the whole real CISA KEV catalogue (1,404 entries, 2025-08-25)', () => {
  it('scores every entry, unrated and without EPSS, on three asset profiles', () => {
    const at = '2025-08-25T17:04:19Z';
    const profiles: [string, RiskInput['asset']][] = [
      ['internet/5/restricted', { exposure: 'internet', businessImpact: 5, dataSensitivity: 'restricted' }],
      ['unknown asset', undefined],
      ['isolated/1/public', { exposure: 'isolated', businessImpact: 1, dataSensitivity: 'public' }],
    ];
    const summary: string[] = [];
    const levelsByProfile: Record<string, Record<RiskLevel, number>> = {};
    let duePassed = 0;
    let ransomware = 0;
    for (const [name, asset] of profiles) {
      const levels = Object.fromEntries(RISK_LEVELS.map((l) => [l, 0])) as Record<RiskLevel, number>;
      for (const entry of kev.values()) {
        const result = scoreRisk({
          finding: { id: entry.cveId, severity: 'unknown', kev: kevFinding(entry.cveId) },
          asset,
          at,
        });
        expect(Math.abs(contributionSum(result) - result.score)).toBeLessThan(1e-9);
        levels[result.level]++;
        if (name === 'unknown asset') {
          if (factor(result, 'kev-due-date').contribution === 5) duePassed++;
          if (factor(result, 'ransomware').contribution > 0) ransomware++;
        }
      }
      levelsByProfile[name] = levels;
      summary.push(`${name}: ${RISK_LEVELS.map((l) => `${l} ${levels[l]}`).join(', ')}`);
    }
    console.log(
      `[risk kev] ${kev.size} entries, due date passed ${duePassed}, ransomware Known ${ransomware}\n  ${summary.join('\n  ')}`,
    );
    expect(kev.size).toBe(1404);
    expect(ransomware).toBe(293);
    // Known exploitation alone keeps every entry at high or above where exposure and impact are
    // highest, even with CVSS and EPSS unknown; on an isolated, unimportant asset none is critical.
    const top = levelsByProfile['internet/5/restricted'] as Record<RiskLevel, number>;
    expect(top.critical + top.high).toBe(1404);
    expect(top.critical).toBe(293);
    expect(levelsByProfile['isolated/1/public']?.critical).toBe(0);
  });
});
