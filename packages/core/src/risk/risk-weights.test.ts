import { describe, expect, it } from 'vitest';
import { scoreRisk } from './risk-score.ts';
import { DEFAULT_RISK_WEIGHTS, riskWeightsWith, validateRiskWeights } from './risk-weights.ts';

describe('DEFAULT_RISK_WEIGHTS', () => {
  it('is valid, deeply frozen, and its threat points add up to 100', () => {
    expect(validateRiskWeights(DEFAULT_RISK_WEIGHTS)).toBe(DEFAULT_RISK_WEIGHTS);
    expect(Object.isFrozen(DEFAULT_RISK_WEIGHTS)).toBe(true);
    expect(Object.isFrozen(DEFAULT_RISK_WEIGHTS.exposure)).toBe(true);
    const { cvss, epssProbability, epssPercentile, kev, kevDueDate, ransomware } = DEFAULT_RISK_WEIGHTS;
    expect(cvss + epssProbability + epssPercentile + kev + kevDueDate + ransomware).toBe(100);
  });

  it('scores exactly 100 for the worst finding on the most exposed asset, without needing the cap', () => {
    const result = scoreRisk({
      finding: {
        severity: 'critical',
        cvss: { version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', baseScore: 10 },
        epss: { score: 1, percentile: 1 },
        kev: { dateAdded: '2024-01-01', dueDate: '2024-01-22', knownRansomwareCampaignUse: 'Known' },
      },
      asset: { exposure: 'internet', businessImpact: 5, dataSensitivity: 'restricted' },
      at: '2024-02-01T00:00:00Z',
    });
    expect(result.score).toBe(100);
    expect(result.level).toBe('critical');
    expect(result.factors.some((f) => f.factor === 'cap')).toBe(false);
  });

  it('re-validates a weights object that was changed after an earlier check', () => {
    const copy = { ...DEFAULT_RISK_WEIGHTS };
    expect(validateRiskWeights(copy)).toBe(copy);
    copy.cvss = -5;
    expect(() => validateRiskWeights(copy)).toThrow(/cvss/);
    // Weights this module merged and froze are trusted as they are.
    const merged = riskWeightsWith({ cvss: 30 });
    expect(validateRiskWeights(merged)).toBe(merged);
  });
});
