export * from './asset.ts';
export * from './asset-filter.ts';
export * from './asset-health.ts';
export * from './asset-identity.ts';
export * from './asset-import.ts';
export * from './asset-merge.ts';
export { closestName, editDistance } from './closest-name.ts';
