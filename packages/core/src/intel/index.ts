export * from './advisory.ts';
