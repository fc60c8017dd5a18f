export * from './asset.ts';
