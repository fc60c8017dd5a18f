export * from './cisa-ssvc-table.ts';
export * from './risk-matrix.ts';
export * from './risk-score.ts';
export * from './risk-weights.ts';
export * from './ssvc.ts';
