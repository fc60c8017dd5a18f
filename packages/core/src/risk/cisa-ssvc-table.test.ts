import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../../../../test-support/shared-data.ts';
import { PatchwardenError } from '../errors/errors.ts';
import {
  CISA_SSVC_TABLE,
  cisaMissionWellbeing,
  cisaSsvcOutcome,
  SSVC_AUTOMATABLE,
  SSVC_EXPLOITATION,
  SSVC_MISSION_WELLBEING,
  SSVC_OUTCOMES,
  SSVC_TECHNICAL_IMPACT,
} from './cisa-ssvc-table.ts';
import type { MissionPrevalence, PublicWellbeingImpact, SsvcDecisionPoints } from './cisa-ssvc-table.ts';
import { parseCisaTableCsv } from './testing/intel-fixtures.ts';

const published = parseCisaTableCsv(
  readFileSync(fixturePath('risk/certcc-ssvc__cisa_coordinator_2_0_3.csv'), 'utf8'),
);

describe('CISA SSVC table (cisa:DT_CO 2.0.3)', () => {
  it('encodes the 36 rows CERT/CC publishes, in order, with the same outcomes', () => {
    expect(published).toHaveLength(36);
    expect(CISA_SSVC_TABLE).toEqual(published);
  });

  it('gives the published outcome on every path of the tree', () => {
    for (const row of published) {
      const { outcome, ...points } = row;
      expect(cisaSsvcOutcome(points), JSON.stringify(points)).toBe(outcome);
    }
  });

  it('covers every combination of decision points exactly once', () => {
    const keys = new Set(
      CISA_SSVC_TABLE.map(
        (r) => `${r.exploitation}/${r.automatable}/${r.technicalImpact}/${r.missionWellbeing}`,
      ),
    );
    expect(keys.size).toBe(
      SSVC_EXPLOITATION.length *
        SSVC_AUTOMATABLE.length *
        SSVC_TECHNICAL_IMPACT.length *
        SSVC_MISSION_WELLBEING.length,
    );
  });

  it('never lowers the outcome when a decision point gets worse (CISA tree is monotone)', () => {
    const rank = (points: SsvcDecisionPoints) => SSVC_OUTCOMES.indexOf(cisaSsvcOutcome(points));
    const axes: [keyof SsvcDecisionPoints, readonly string[]][] = [
      ['exploitation', SSVC_EXPLOITATION],
      ['automatable', SSVC_AUTOMATABLE],
      ['technicalImpact', SSVC_TECHNICAL_IMPACT],
      ['missionWellbeing', SSVC_MISSION_WELLBEING],
    ];
    let comparisons = 0;
    for (const row of CISA_SSVC_TABLE) {
      for (const [axis, values] of axes) {
        const next = values[values.indexOf(row[axis]) + 1];
        if (next === undefined) continue;
        expect(rank({ ...row, [axis]: next })).toBeGreaterThanOrEqual(rank(row));
        comparisons++;
      }
    }
    expect(comparisons).toBe(24 + 18 + 18 + 24);
  });

  it('counts 18 track, 4 track*, 10 attend and 4 act rows', () => {
    const counts = Object.fromEntries(
      SSVC_OUTCOMES.map((o) => [o, CISA_SSVC_TABLE.filter((r) => r.outcome === o).length]),
    );
    expect(counts).toEqual({ track: 18, 'track*': 4, attend: 10, act: 4 });
  });

  it('refuses points outside the tree, naming the point', () => {
    const bad = {
      exploitation: 'weaponised',
      automatable: 'no',
      technicalImpact: 'partial',
      missionWellbeing: 'low',
    };
    expect(() => cisaSsvcOutcome(bad as unknown as SsvcDecisionPoints)).toThrow(PatchwardenError);
    try {
      cisaSsvcOutcome(bad as unknown as SsvcDecisionPoints);
    } catch (error) {
      expect((error as PatchwardenError).code).toBe('PW_ERR_INVALID_RECORD');
      expect((error as PatchwardenError).details.field).toBe('exploitation');
    }
  });
});

describe('CISA Mission & Well-Being', () => {
  it("follows the guide's table (rows mission prevalence, columns public well-being)", () => {
    const expected: Record<MissionPrevalence, Record<PublicWellbeingImpact, string>> = {
      minimal: { minimal: 'low', material: 'medium', irreversible: 'high' },
      support: { minimal: 'medium', material: 'medium', irreversible: 'high' },
      essential: { minimal: 'high', material: 'high', irreversible: 'high' },
    };
    for (const [mission, row] of Object.entries(expected)) {
      for (const [wellbeing, value] of Object.entries(row)) {
        expect(cisaMissionWellbeing(mission as MissionPrevalence, wellbeing as PublicWellbeingImpact)).toBe(
          value,
        );
      }
    }
  });
});
