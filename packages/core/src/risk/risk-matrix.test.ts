import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../../../../test-support/shared-data.ts';
import type { BusinessImpact } from '../assets/asset.ts';
import { PatchwardenError } from '../errors/errors.ts';
import type { Advisory } from '../intel/advisory.ts';
import type { SeverityLabel } from '../matching/finding.ts';
import { resolveSeverity } from '../matching/severity.ts';
import { buildRiskMatrix, MATRIX_CRITICALITIES, MATRIX_SEVERITIES } from './risk-matrix.ts';
import type { RiskMatrixItem } from './risk-matrix.ts';
import { RISK_LEVELS, scoreRisk } from './risk-score.ts';

describe('buildRiskMatrix', () => {
  it('counts findings per severity x criticality, with unknown as its own row and column', () => {
    const items: RiskMatrixItem[] = [
      { severity: 'critical', businessImpact: 5 },
      { severity: 'critical', businessImpact: 5 },
      { severity: 'critical' },
      { severity: 'high', businessImpact: 2 },
      { severity: 'unknown', businessImpact: null },
      { severity: 'negligible', businessImpact: 1 },
    ];
    const matrix = buildRiskMatrix(items);
    expect(matrix.counts.critical[5]).toBe(2);
    expect(matrix.counts.critical.unknown).toBe(1);
    expect(matrix.counts.high[2]).toBe(1);
    expect(matrix.counts.unknown.unknown).toBe(1);
    expect(matrix.counts.negligible[1]).toBe(1);
    expect(matrix.counts.medium[3]).toBe(0);
    expect(matrix.bySeverity).toEqual({ critical: 3, high: 1, medium: 0, low: 0, negligible: 1, unknown: 1 });
    expect(matrix.byCriticality).toEqual({ 5: 2, 4: 0, 3: 0, 2: 1, 1: 1, unknown: 2 });
    expect(matrix.total).toBe(6);
    expect(matrix.cells).toHaveLength(36);
    expect(matrix.cells[0]).toEqual({ severity: 'critical', criticality: 5, count: 2 });
    expect(matrix.cells[5]).toEqual({ severity: 'critical', criticality: 'unknown', count: 1 });
    expect(matrix.byLevel).toBeUndefined();
  });

  it('counts risk levels when assessments are given', () => {
    const assessments = [
      scoreRisk({
        finding: { severity: 'critical' },
        asset: { exposure: 'internet', businessImpact: 5 },
        at: 0,
      }),
      scoreRisk({ finding: { severity: 'low' }, asset: { exposure: 'isolated', businessImpact: 1 }, at: 0 }),
      scoreRisk({ finding: { severity: 'low' }, asset: { exposure: 'isolated', businessImpact: 1 }, at: 0 }),
    ];
    const matrix = buildRiskMatrix([], assessments);
    expect(matrix.byLevel).toEqual({ critical: 0, high: 1, medium: 0, low: 2, none: 0 });
    expect(matrix.total).toBe(0);
  });

  it('names the item and field that is wrong', () => {
    const bad = () => buildRiskMatrix([{ severity: 'high' }, { severity: 'severe' as SeverityLabel }]);
    expect(bad).toThrow(PatchwardenError);
    try {
      bad();
    } catch (error) {
      expect((error as PatchwardenError).details).toMatchObject({ record: '1', field: 'severity' });
    }
    expect(() => buildRiskMatrix([{ severity: 'high', businessImpact: 6 as BusinessImpact }])).toThrow(
      /businessImpact/,
    );
    expect(() => buildRiskMatrix([], [{ level: 'urgent' as 'high' }])).toThrow(/level/);
  });

  it('keeps every total consistent with the cells (property)', () => {
    const item = fc.record({
      severity: fc.constantFrom(...MATRIX_SEVERITIES),
      businessImpact: fc.option(fc.constantFrom<BusinessImpact>(1, 2, 3, 4, 5), { nil: undefined }),
    });
    fc.assert(
      fc.property(
        fc.array(item, { maxLength: 60 }),
        fc.array(fc.constantFrom(...RISK_LEVELS), { maxLength: 20 }),
        (items, levels) => {
          const matrix = buildRiskMatrix(
            items,
            levels.map((level) => ({ level })),
          );
          const cellSum = matrix.cells.reduce((sum, cell) => sum + cell.count, 0);
          expect(cellSum).toBe(items.length);
          expect(matrix.total).toBe(items.length);
          for (const severity of MATRIX_SEVERITIES) {
            const row = MATRIX_CRITICALITIES.reduce((sum, c) => sum + matrix.counts[severity][c], 0);
            expect(row).toBe(matrix.bySeverity[severity]);
          }
          for (const criticality of MATRIX_CRITICALITIES) {
            const column = MATRIX_SEVERITIES.reduce((sum, s) => sum + matrix.counts[s][criticality], 0);
            expect(column).toBe(matrix.byCriticality[criticality]);
          }
          expect(Object.values(matrix.byLevel ?? {}).reduce((a, b) => a + b, 0)).toBe(levels.length);
        },
      ),
    );
  });

  it('tabulates the real AlmaLinux 9 feed: vendor severities of 1,783 errata over six asset criticalities', () => {
    const lines = gunzipSync(readFileSync(fixturePath('feeds/almalinux9-osv.jsonl.gz')))
      .toString('utf8')
      .trimEnd()
      .split('\n');
    const items: RiskMatrixItem[] = lines.map((line, index) => {
      const raw = JSON.parse(line) as Partial<Advisory> & { id: string };
      const advisory: Advisory = {
        id: raw.id,
        aliases: [],
        related: [],
        source: 'osv',
        modified: '',
        severity: [],
        cwes: [],
        affected: [],
        references: [],
        ...(raw.summary === undefined ? {} : { summary: raw.summary }),
      };
      const affected = { ecosystem: 'AlmaLinux:9', name: '', ranges: [], versions: [] };
      const { severity } = resolveSeverity([{ advisory, affected }], []);
      // A deterministic spread over the columns, so that every column is exercised.
      return {
        severity,
        businessImpact:
          MATRIX_CRITICALITIES[index % 6] === 'unknown'
            ? null
            : (MATRIX_CRITICALITIES[index % 6] as BusinessImpact),
      };
    });
    const matrix = buildRiskMatrix(items);
    console.log(`[risk matrix] AlmaLinux 9 errata by vendor severity: ${JSON.stringify(matrix.bySeverity)}`);
    // Summaries open with the vendor rating: Critical 13, Important 925, Moderate 778, Low 66, and
    // one "None:" (ALBA-2026:39332), which is no rating we know.
    expect(matrix.bySeverity).toEqual({
      critical: 13,
      high: 925,
      medium: 778,
      low: 66,
      negligible: 0,
      unknown: 1,
    });
    expect(matrix.total).toBe(1783);
    expect(Object.values(matrix.byCriticality).every((count) => count >= 297)).toBe(true);
  });
});
