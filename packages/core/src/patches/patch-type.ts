/**
 * What a patch is for. Policies schedule and approve by it (security patches within their SLA,
 * features in the next change window, regulatory ones before their legal deadline).
 */
export type PatchType =
  'security' | 'bugfix' | 'feature' | 'compatibility' | 'performance' | 'regulatory' | 'localization';

export const PATCH_TYPES: readonly PatchType[] = Object.freeze([
  'security',
  'bugfix',
  'feature',
  'compatibility',
  'performance',
  'regulatory',
  'localization',
]);
