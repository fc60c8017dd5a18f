/**
 * The risk matrix view: how many findings sit in each cell of severity x asset criticality
 * (business impact), every cell present even when empty so that a UI can draw the grid as is.
 * Unknown is a row and a column of its own: an unrated finding or an unclassified asset must be
 * visible as such, not folded into "low".
 */
import type { BusinessImpact } from '../assets/asset.ts';
import { pwError } from '../errors/errors.ts';
import type { SeverityLabel } from '../matching/finding.ts';
import { RISK_LEVELS } from './risk-score.ts';
import type { RiskLevel } from './risk-score.ts';

export type AssetCriticality = BusinessImpact | 'unknown';

/** Rows, worst first. */
export const MATRIX_SEVERITIES: readonly SeverityLabel[] = Object.freeze([
  'critical',
  'high',
  'medium',
  'low',
  'negligible',
  'unknown',
]);
/** Columns, most critical first. */
export const MATRIX_CRITICALITIES: readonly AssetCriticality[] = Object.freeze([5, 4, 3, 2, 1, 'unknown']);

export interface RiskMatrixItem {
  severity: SeverityLabel;
  /** The asset's business impact; absent or null when unknown. */
  businessImpact?: BusinessImpact | null;
}

export interface RiskMatrixCell {
  severity: SeverityLabel;
  criticality: AssetCriticality;
  count: number;
}

export interface RiskMatrix {
  severities: readonly SeverityLabel[];
  criticalities: readonly AssetCriticality[];
  /** `counts[severity][criticality]`. */
  counts: Record<SeverityLabel, Record<AssetCriticality, number>>;
  /** Every cell, row by row in `severities` x `criticalities` order. */
  cells: RiskMatrixCell[];
  bySeverity: Record<SeverityLabel, number>;
  byCriticality: Record<AssetCriticality, number>;
  total: number;
  /** Findings per risk level, when assessments were given. */
  byLevel?: Record<RiskLevel, number>;
}

function zeros<K extends string | number>(keys: readonly K[]): Record<K, number> {
  const record = {} as Record<K, number>;
  for (const key of keys) record[key] = 0;
  return record;
}

function invalid(index: number, field: string, message: string, value: unknown): never {
  throw pwError('PW_ERR_INVALID_RECORD', `Invalid risk matrix item ${index}: ${field} ${message}`, {
    record: String(index),
    field,
    value,
  });
}

/**
 * Counts `items` per severity x criticality cell; with `assessments` (e.g. `scoreRisk` results),
 * also counts them per risk level.
 */
export function buildRiskMatrix(
  items: Iterable<RiskMatrixItem>,
  assessments?: Iterable<{ level: RiskLevel }>,
): RiskMatrix {
  const counts = {} as Record<SeverityLabel, Record<AssetCriticality, number>>;
  for (const severity of MATRIX_SEVERITIES) counts[severity] = zeros(MATRIX_CRITICALITIES);
  const bySeverity = zeros(MATRIX_SEVERITIES);
  const byCriticality = zeros(MATRIX_CRITICALITIES);
  let total = 0;
  let index = 0;
  for (const item of items) {
    const severity = item?.severity;
    if (!MATRIX_SEVERITIES.includes(severity)) {
      invalid(index, 'severity', `must be one of ${MATRIX_SEVERITIES.join(', ')}`, severity);
    }
    const impact = item.businessImpact ?? 'unknown';
    if (!MATRIX_CRITICALITIES.includes(impact)) {
      invalid(index, 'businessImpact', 'must be an integer from 1 to 5, or absent when unknown', impact);
    }
    counts[severity][impact]++;
    bySeverity[severity]++;
    byCriticality[impact]++;
    total++;
    index++;
  }
  const cells: RiskMatrixCell[] = [];
  for (const severity of MATRIX_SEVERITIES) {
    for (const criticality of MATRIX_CRITICALITIES) {
      cells.push({ severity, criticality, count: counts[severity][criticality] });
    }
  }
  const matrix: RiskMatrix = {
    severities: MATRIX_SEVERITIES,
    criticalities: MATRIX_CRITICALITIES,
    counts,
    cells,
    bySeverity,
    byCriticality,
    total,
  };
  if (assessments) {
    const byLevel = zeros(RISK_LEVELS);
    let position = 0;
    for (const assessment of assessments) {
      const level = assessment?.level;
      if (!RISK_LEVELS.includes(level))
        invalid(position, 'level', `must be one of ${RISK_LEVELS.join(', ')}`, level);
      byLevel[level]++;
      position++;
    }
    matrix.byLevel = byLevel;
  }
  return matrix;
}
