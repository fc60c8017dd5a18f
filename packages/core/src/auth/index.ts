export * from './permissions.ts';
export * from './role-binding.ts';
export * from './authorize.ts';
