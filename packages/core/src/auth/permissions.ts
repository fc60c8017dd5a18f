/**
 * Roles and what they may do. A role is a named bundle of permissions; a permission is
 * `<area>:<verb>`. Routes check permissions, never role names, so a new role or a change to a
 * role's rights is one edit to this table.
 */
export const ROLES = Object.freeze(['admin', 'operator', 'approver', 'viewer', 'auditor'] as const);
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = Object.freeze([
  'assets:read',
  'assets:write',
  'findings:read',
  'findings:write',
  'rollouts:read',
  'rollouts:run',
  'approvals:read',
  'approvals:decide',
  'audit:read',
  'audit:export',
  'users:read',
  'users:manage',
  'tokens:own',
  'tokens:manage',
  'enrolment:manage',
  'jobs:read',
  'feeds:sync',
] as const);
export type Permission = (typeof PERMISSIONS)[number];

/**
 * What a permission acts on, which decides whether a scoped role binding can grant it:
 * - `asset`: acts on assets or on things that belong to one (findings, rollout targets,
 *   approvals); a team or asset-filter binding grants it for the assets in its scope only.
 * - `global`: acts on the installation itself (users, audit log, enrolment); only a global
 *   binding grants it, so a team admin cannot read the audit log or create users.
 * - `self`: acts on the caller's own things (their API tokens); any binding grants it.
 */
export type PermissionReach = 'asset' | 'global' | 'self';

export const PERMISSION_REACH: Readonly<Record<Permission, PermissionReach>> = Object.freeze({
  'assets:read': 'asset',
  'assets:write': 'asset',
  'findings:read': 'asset',
  'findings:write': 'asset',
  'rollouts:read': 'asset',
  'rollouts:run': 'asset',
  'approvals:read': 'asset',
  'approvals:decide': 'asset',
  'audit:read': 'global',
  'audit:export': 'global',
  'users:read': 'global',
  'users:manage': 'global',
  'tokens:own': 'self',
  'tokens:manage': 'global',
  'enrolment:manage': 'global',
  'jobs:read': 'global',
  'feeds:sync': 'global',
});

const READ_ONLY: readonly Permission[] = [
  'assets:read',
  'findings:read',
  'rollouts:read',
  'approvals:read',
  'tokens:own',
  'jobs:read',
];

/**
 * The approver does not get the operator's rights: the person who approves a change should not be
 * the one who runs it (four eyes). Give both roles to one person only deliberately.
 */
export const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = Object.freeze({
  viewer: new Set<Permission>(READ_ONLY),
  operator: new Set<Permission>([
    ...READ_ONLY,
    'assets:write',
    'findings:write',
    'rollouts:run',
    'feeds:sync',
  ]),
  approver: new Set<Permission>([...READ_ONLY, 'approvals:decide']),
  auditor: new Set<Permission>([...READ_ONLY, 'audit:read', 'audit:export', 'users:read']),
  admin: new Set<Permission>(PERMISSIONS),
});

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && (PERMISSIONS as readonly string[]).includes(value);
}

export function roleGrants(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].has(permission);
}
