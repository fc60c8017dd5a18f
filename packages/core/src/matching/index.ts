export * from './advisory-index.ts';
export * from './finding.ts';
export * from './fleet-matcher.ts';
export * from './match-target.ts';
export * from './matcher.ts';
export * from './osv-range.ts';
export * from './package-name.ts';
export * from './severity.ts';
