export * from './assemble-host.ts';
export * from './debian-codenames.ts';
export * from './installed-package.ts';
export * from './os-ecosystem.ts';
