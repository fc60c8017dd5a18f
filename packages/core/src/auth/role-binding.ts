import type { Asset } from '../assets/asset.ts';
import { pwError } from '../errors/errors.ts';
import { isRole } from './permissions.ts';
import type { Role } from './permissions.ts';

/**
 * Where a role applies: everywhere, on the assets one team owns, or on the assets an asset filter
 * selects. The filter is kept as its text (the asset filter language lives elsewhere); the
 * authoriser is handed a compiled matcher for it.
 */
export type RoleScope =
  { kind: 'global' } | { kind: 'team'; team: string } | { kind: 'asset-filter'; filter: string };

/** A role granted to a user or a group, as stored. */
export interface RoleBinding {
  role: Role;
  scope: RoleScope;
}

export type AssetMatcher = (asset: Readonly<Asset>) => boolean;

/**
 * A binding ready for authorisation. An `asset-filter` binding without `matches` selects no asset
 * (fail closed): whoever builds principals must compile every filter it knows.
 */
export interface AuthorizationBinding extends RoleBinding {
  matches?: AssetMatcher;
}

function invalid(field: string, message: string): never {
  throw pwError('PW_ERR_VALIDATION', message, { field });
}

function nonEmptyText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') invalid(field, `${field} must be a non-empty string`);
  return value;
}

/** Checks untrusted input (an API body, a stored row) and returns a clean scope. */
export function parseRoleScope(value: unknown, field = 'scope'): RoleScope {
  if (typeof value !== 'object' || value === null) invalid(field, `${field} must be an object`);
  const scope = value as Record<string, unknown>;
  switch (scope['kind']) {
    case 'global':
      return { kind: 'global' };
    case 'team':
      return { kind: 'team', team: nonEmptyText(scope['team'], `${field}.team`) };
    case 'asset-filter':
      return { kind: 'asset-filter', filter: nonEmptyText(scope['filter'], `${field}.filter`) };
    default:
      return invalid(`${field}.kind`, `${field}.kind must be one of global, team, asset-filter`);
  }
}

export function parseRoleBinding(value: unknown, field = 'binding'): RoleBinding {
  if (typeof value !== 'object' || value === null) invalid(field, `${field} must be an object`);
  const binding = value as Record<string, unknown>;
  const role = binding['role'];
  if (!isRole(role))
    invalid(`${field}.role`, `${field}.role must be one of admin, operator, approver, viewer, auditor`);
  return { role, scope: parseRoleScope(binding['scope'], `${field}.scope`) };
}
