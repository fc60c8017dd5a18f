export * from './assemble-host.ts';
export * from './installed-package.ts';
export * from './os-ecosystem.ts';
