export * from './installed-package.ts';
