export * from './errors/index.ts';
export * from './versions/index.ts';
export * from './intel/index.ts';
export * from './inventory/index.ts';
export * from './matching/index.ts';
export * from './assets/index.ts';
export * from './risk/index.ts';
export * from './patches/index.ts';
