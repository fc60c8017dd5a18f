import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Asset } from '../assets/asset.ts';
import { PatchwardenError } from '../errors/errors.ts';
import { assetScopeFor, authorize, effectivePermissions, requirePermission } from './authorize.ts';
import type { Principal } from './authorize.ts';
import { PERMISSIONS, ROLES } from './permissions.ts';
import type { Permission, Role } from './permissions.ts';
import { parseRoleBinding, parseRoleScope } from './role-binding.ts';
import type { AuthorizationBinding, RoleScope } from './role-binding.ts';

/** Written out by hand (not derived from ROLE_PERMISSIONS) so that a change to the table shows here. */
const EXPECTED: Record<Role, readonly Permission[]> = {
  viewer: ['assets:read', 'findings:read', 'rollouts:read', 'approvals:read', 'tokens:own', 'jobs:read'],
  operator: [
    'assets:read',
    'assets:write',
    'findings:read',
    'findings:write',
    'rollouts:read',
    'rollouts:run',
    'approvals:read',
    'tokens:own',
    'jobs:read',
    'feeds:sync',
  ],
  approver: [
    'assets:read',
    'findings:read',
    'rollouts:read',
    'approvals:read',
    'approvals:decide',
    'tokens:own',
    'jobs:read',
  ],
  auditor: [
    'assets:read',
    'findings:read',
    'rollouts:read',
    'approvals:read',
    'audit:read',
    'audit:export',
    'users:read',
    'tokens:own',
    'jobs:read',
  ],
  admin: [...PERMISSIONS],
};

const ASSET_PERMISSIONS: readonly Permission[] = [
  'assets:read',
  'assets:write',
  'findings:read',
  'findings:write',
  'rollouts:read',
  'rollouts:run',
  'approvals:read',
  'approvals:decide',
];

function asset(id: string, ownerTeam?: string, tags: string[] = []): Asset {
  return {
    id,
    name: id,
    kind: 'server',
    ips: [],
    macs: [],
    services: [],
    tags,
    assetClasses: [],
    sources: ['manual'],
    ...(ownerTeam === undefined ? {} : { ownerTeam }),
  };
}

const WEB_ASSET = asset('a-web', 'web', ['pci']);
const DB_ASSET = asset('a-db', 'dba');
const ORPHAN = asset('a-orphan');
const pciOnly = (candidate: Readonly<Asset>) => candidate.tags.includes('pci');

function principal(bindings: AuthorizationBinding[], tokenScopes?: Permission[]): Principal {
  return {
    kind: tokenScopes ? 'token' : 'user',
    userId: 'u1',
    username: 'alice',
    bindings,
    ...(tokenScopes ? { tokenScopes } : {}),
  };
}

describe('authorize: the role x permission x scope matrix', () => {
  for (const role of ROLES) {
    for (const permission of PERMISSIONS) {
      const granted = EXPECTED[role].includes(permission);
      const assetLevel = ASSET_PERMISSIONS.includes(permission);
      const selfLevel = permission === 'tokens:own';

      it(`${role} ${granted ? 'may' : 'may not'} ${permission} (global binding)`, () => {
        const global = principal([{ role, scope: { kind: 'global' } }]);
        expect(authorize(global, permission)).toBe(granted);
        expect(authorize(global, permission, { kind: 'asset', asset: WEB_ASSET })).toBe(granted);
        expect(authorize(global, permission, { kind: 'asset', asset: ORPHAN })).toBe(granted);
      });

      it(`${role} bound to team web: ${permission} on web ${granted && (assetLevel || selfLevel)}, elsewhere ${granted && selfLevel}`, () => {
        const team = principal([{ role, scope: { kind: 'team', team: 'web' } }]);
        expect(authorize(team, permission, { kind: 'asset', asset: WEB_ASSET })).toBe(
          granted && (assetLevel || selfLevel),
        );
        expect(authorize(team, permission, { kind: 'asset', asset: DB_ASSET })).toBe(granted && selfLevel);
        expect(authorize(team, permission, { kind: 'asset', asset: ORPHAN })).toBe(granted && selfLevel);
        // Without a resource an asset permission needs a global binding: fail closed.
        expect(authorize(team, permission)).toBe(granted && selfLevel);
      });

      it(`${role} bound to an asset filter: ${permission} only on matching assets`, () => {
        const filtered = principal([
          { role, scope: { kind: 'asset-filter', filter: 'tag:pci' }, matches: pciOnly },
        ]);
        expect(authorize(filtered, permission, { kind: 'asset', asset: WEB_ASSET })).toBe(
          granted && (assetLevel || selfLevel),
        );
        expect(authorize(filtered, permission, { kind: 'asset', asset: DB_ASSET })).toBe(
          granted && selfLevel,
        );
        // A filter nobody compiled selects nothing.
        const uncompiled = principal([{ role, scope: { kind: 'asset-filter', filter: 'tag:pci' } }]);
        expect(authorize(uncompiled, permission, { kind: 'asset', asset: WEB_ASSET })).toBe(
          granted && selfLevel,
        );
      });
    }
  }
});

describe('authorize: scopes and tokens together', () => {
  it('a team-scoped operator writes its own team assets, not another team’s, and reads neither elsewhere', () => {
    const operator = principal([{ role: 'operator', scope: { kind: 'team', team: 'web' } }]);
    expect(authorize(operator, 'assets:write', { kind: 'asset', asset: WEB_ASSET })).toBe(true);
    expect(authorize(operator, 'rollouts:run', { kind: 'asset', asset: WEB_ASSET })).toBe(true);
    expect(authorize(operator, 'assets:write', { kind: 'asset', asset: DB_ASSET })).toBe(false);
    expect(authorize(operator, 'assets:read', { kind: 'asset', asset: DB_ASSET })).toBe(false);
    expect(() => requirePermission(operator, 'assets:write', { kind: 'asset', asset: DB_ASSET })).toThrow(
      PatchwardenError,
    );
    try {
      requirePermission(operator, 'assets:write', { kind: 'asset', asset: DB_ASSET });
    } catch (error) {
      expect((error as PatchwardenError).code).toBe('PW_ERR_FORBIDDEN');
      expect((error as PatchwardenError).status).toBe(403);
      expect((error as PatchwardenError).details).toEqual({ permission: 'assets:write', assetId: 'a-db' });
    }
  });

  it('bindings add up: team operator plus global viewer reads everything, writes only its team', () => {
    const both = principal([
      { role: 'operator', scope: { kind: 'team', team: 'web' } },
      { role: 'viewer', scope: { kind: 'global' } },
    ]);
    expect(authorize(both, 'assets:read', { kind: 'asset', asset: DB_ASSET })).toBe(true);
    expect(authorize(both, 'assets:read')).toBe(true);
    expect(authorize(both, 'assets:write', { kind: 'asset', asset: DB_ASSET })).toBe(false);
    expect(authorize(both, 'assets:write', { kind: 'asset', asset: WEB_ASSET })).toBe(true);
  });

  it('a scoped admin gets no installation-wide rights', () => {
    const teamAdmin = principal([{ role: 'admin', scope: { kind: 'team', team: 'web' } }]);
    for (const permission of ['users:manage', 'audit:read', 'enrolment:manage', 'tokens:manage'] as const) {
      expect(authorize(teamAdmin, permission)).toBe(false);
      expect(authorize(teamAdmin, permission, { kind: 'asset', asset: WEB_ASSET })).toBe(false);
    }
  });

  it('token scopes intersect with the user’s rights: never more than either', () => {
    const admin = [{ role: 'admin', scope: { kind: 'global' } }] as AuthorizationBinding[];
    const readOnlyToken = principal(admin, ['assets:read', 'findings:read']);
    expect(authorize(readOnlyToken, 'assets:read')).toBe(true);
    expect(authorize(readOnlyToken, 'assets:write')).toBe(false);
    expect(authorize(readOnlyToken, 'users:manage')).toBe(false);
    expect(effectivePermissions(readOnlyToken)).toEqual(['assets:read', 'findings:read']);

    const viewer = [{ role: 'viewer', scope: { kind: 'global' } }] as AuthorizationBinding[];
    const overreachingToken = principal(viewer, ['assets:write', 'assets:read']);
    expect(authorize(overreachingToken, 'assets:write')).toBe(false);
    expect(effectivePermissions(overreachingToken)).toEqual(['assets:read']);

    const emptyToken = principal(admin, []);
    expect(PERMISSIONS.some((permission) => authorize(emptyToken, permission))).toBe(false);
  });

  it('property: a token never allows what its user alone does not, nor what its scopes omit', () => {
    const scopeArb: fc.Arbitrary<RoleScope> = fc.oneof(
      fc.constant({ kind: 'global' as const }),
      fc.constantFrom('web', 'dba').map((team) => ({ kind: 'team' as const, team })),
    );
    const bindingArb = fc.record({ role: fc.constantFrom(...ROLES), scope: scopeArb });
    fc.assert(
      fc.property(
        fc.array(bindingArb, { maxLength: 4 }),
        fc.subarray([...PERMISSIONS]),
        fc.constantFrom(...PERMISSIONS),
        fc.constantFrom(WEB_ASSET, DB_ASSET, ORPHAN, undefined),
        (bindings, scopes, permission, target) => {
          const resource = target === undefined ? undefined : ({ kind: 'asset', asset: target } as const);
          const asUser = authorize(principal(bindings), permission, resource);
          const asToken = authorize(principal(bindings, scopes), permission, resource);
          expect(asToken).toBe(asUser && scopes.includes(permission));
        },
      ),
    );
  });
});

describe('assetScopeFor: filtering lists', () => {
  it('is all for a global binding, none without one, and a predicate for scoped bindings', () => {
    expect(
      assetScopeFor(principal([{ role: 'viewer', scope: { kind: 'global' } }]), 'assets:read').kind,
    ).toBe('all');
    expect(
      assetScopeFor(principal([{ role: 'viewer', scope: { kind: 'global' } }]), 'assets:write').kind,
    ).toBe('none');
    const scoped = assetScopeFor(
      principal([
        { role: 'operator', scope: { kind: 'team', team: 'dba' } },
        { role: 'viewer', scope: { kind: 'asset-filter', filter: 'tag:pci' }, matches: pciOnly },
      ]),
      'assets:read',
    );
    expect(scoped.kind).toBe('some');
    if (scoped.kind !== 'some') return;
    expect([WEB_ASSET, DB_ASSET, ORPHAN].filter(scoped.matches).map((a) => a.id)).toEqual(['a-web', 'a-db']);
  });

  it('a scoped binding never reaches global permissions, even for listing', () => {
    const teamAdmin = principal([{ role: 'admin', scope: { kind: 'team', team: 'web' } }]);
    expect(assetScopeFor(teamAdmin, 'audit:read').kind).toBe('none');
    expect(assetScopeFor(teamAdmin, 'tokens:own').kind).toBe('all');
    expect(effectivePermissions(teamAdmin)).toEqual([...ASSET_PERMISSIONS, 'tokens:own']);
  });
});

describe('parseRoleBinding', () => {
  it('accepts the three scope kinds and names the bad field otherwise', () => {
    expect(parseRoleBinding({ role: 'viewer', scope: { kind: 'global', extra: 1 } })).toEqual({
      role: 'viewer',
      scope: { kind: 'global' },
    });
    expect(parseRoleScope({ kind: 'team', team: 'web' })).toEqual({ kind: 'team', team: 'web' });
    expect(parseRoleScope({ kind: 'asset-filter', filter: 'tag:pci' })).toEqual({
      kind: 'asset-filter',
      filter: 'tag:pci',
    });
    const cases: [unknown, string][] = [
      [{ role: 'root', scope: { kind: 'global' } }, 'binding.role'],
      [{ role: 'viewer', scope: { kind: 'team', team: ' ' } }, 'binding.scope.team'],
      [{ role: 'viewer', scope: { kind: 'asset-filter' } }, 'binding.scope.filter'],
      [{ role: 'viewer', scope: { kind: 'everything' } }, 'binding.scope.kind'],
      [{ role: 'viewer' }, 'binding.scope'],
      ['viewer', 'binding'],
    ];
    for (const [input, field] of cases) {
      let caught: unknown;
      try {
        parseRoleBinding(input);
      } catch (error) {
        caught = error;
      }
      expect(caught, JSON.stringify(input)).toBeInstanceOf(PatchwardenError);
      expect((caught as PatchwardenError).details.field).toBe(field);
    }
  });
});
