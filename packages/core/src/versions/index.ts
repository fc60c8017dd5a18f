export * from './version-scheme.ts';
export * from './registry.ts';
