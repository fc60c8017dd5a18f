export * from './advisory.ts';
export * from './cvss.ts';
export * from './intel-lookup.ts';
export * from './semver-range.ts';
