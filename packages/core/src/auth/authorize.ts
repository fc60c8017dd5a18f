import type { Asset } from '../assets/asset.ts';
import { pwError } from '../errors/errors.ts';
import { PERMISSION_REACH, PERMISSIONS, roleGrants } from './permissions.ts';
import type { Permission } from './permissions.ts';
import type { AssetMatcher, AuthorizationBinding } from './role-binding.ts';

/**
 * Who is asking. A user acting through an API token keeps the user's bindings, and the token's
 * scopes restrict them further: the token can do what both the user and its scopes allow.
 */
export interface Principal {
  kind: 'user' | 'token';
  /** The user's id (for a token: the id of the user it belongs to). */
  userId: string;
  username: string;
  bindings: readonly AuthorizationBinding[];
  /** Only for tokens: the permissions the token was created with. */
  tokenScopes?: readonly Permission[];
}

/** The thing acted upon; absent for actions that concern the installation as a whole. */
export type AuthorizationResource = { kind: 'asset'; asset: Readonly<Asset> };

function tokenAllows(principal: Principal, permission: Permission): boolean {
  return principal.tokenScopes === undefined || principal.tokenScopes.includes(permission);
}

function bindingCovers(binding: AuthorizationBinding, asset: Readonly<Asset>): boolean {
  switch (binding.scope.kind) {
    case 'global':
      return true;
    case 'team':
      return asset.ownerTeam !== undefined && asset.ownerTeam === binding.scope.team;
    case 'asset-filter':
      return binding.matches !== undefined && binding.matches(asset) === true;
  }
}

/**
 * Whether `principal` may do `permission` (on `resource`, when given). Fails closed:
 * - an asset permission without a resource needs a global binding (for lists, use
 *   `assetScopeFor` and filter each asset);
 * - a scoped binding never grants a global permission (users, audit, enrolment);
 * - an asset-filter binding without a compiled matcher covers no asset.
 */
export function authorize(
  principal: Principal,
  permission: Permission,
  resource?: AuthorizationResource,
): boolean {
  if (!tokenAllows(principal, permission)) return false;
  const reach = PERMISSION_REACH[permission];
  for (const binding of principal.bindings) {
    if (!roleGrants(binding.role, permission)) continue;
    if (reach === 'self' || binding.scope.kind === 'global') return true;
    if (reach === 'asset' && resource !== undefined && bindingCovers(binding, resource.asset)) return true;
  }
  return false;
}

/** `authorize`, throwing PW_ERR_FORBIDDEN (naming the permission) when it says no. */
export function requirePermission(
  principal: Principal,
  permission: Permission,
  resource?: AuthorizationResource,
): void {
  if (authorize(principal, permission, resource)) return;
  throw pwError(
    'PW_ERR_FORBIDDEN',
    resource === undefined
      ? `Permission ${permission} is required`
      : `Permission ${permission} is required on asset ${resource.asset.id}`,
    { permission, ...(resource === undefined ? {} : { assetId: resource.asset.id }) },
  );
}

/** Which assets a permission reaches: for filtering lists before showing them. */
export type AssetScope = { kind: 'all' } | { kind: 'none' } | { kind: 'some'; matches: AssetMatcher };

export function assetScopeFor(principal: Principal, permission: Permission): AssetScope {
  if (!tokenAllows(principal, permission)) return { kind: 'none' };
  const granting = principal.bindings.filter((binding) => roleGrants(binding.role, permission));
  if (PERMISSION_REACH[permission] === 'self')
    return granting.length > 0 ? { kind: 'all' } : { kind: 'none' };
  if (granting.some((binding) => binding.scope.kind === 'global')) return { kind: 'all' };
  if (PERMISSION_REACH[permission] !== 'asset' || granting.length === 0) return { kind: 'none' };
  return { kind: 'some', matches: (asset) => granting.some((binding) => bindingCovers(binding, asset)) };
}

/**
 * Every permission the principal holds anywhere (in some scope at least), in registry order: what
 * `/auth/me` shows, and the ceiling for the scopes of a token this principal creates.
 */
export function effectivePermissions(principal: Principal): Permission[] {
  return PERMISSIONS.filter(
    (permission) =>
      tokenAllows(principal, permission) && assetScopeFor(principal, permission).kind !== 'none',
  );
}
