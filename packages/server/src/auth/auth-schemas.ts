import { PERMISSIONS, ROLES } from '@patchwarden/core';
import { z } from 'zod';

/** Response and request shapes of the auth routes; ids make them shared OpenAPI components. */
const timestamp = z.string().describe('RFC 3339 instant.');

export const permissionSchema = z.enum(PERMISSIONS);
export const roleSchema = z.enum(ROLES);

export const roleScopeSchema = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('global') }),
    z.object({ kind: z.literal('team'), team: z.string().min(1).max(200) }),
    z.object({ kind: z.literal('asset-filter'), filter: z.string().min(1).max(2000) }),
  ])
  .meta({
    id: 'RoleScope',
    description: 'Where a role applies: everywhere, one team’s assets, or an asset filter.',
  });

export const userSchema = z
  .object({
    id: z.string(),
    username: z.string(),
    displayName: z.string().nullable(),
    disabled: z.boolean(),
    hasPassword: z.boolean(),
    totpEnabled: z.boolean(),
    external: z.object({ issuer: z.string(), subject: z.string() }).nullable(),
    groups: z.array(z.string()),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'User', description: 'A user account (never with a password or a TOTP secret).' });

export const roleBindingSchema = z
  .object({
    id: z.string(),
    userId: z.string().nullable(),
    group: z.string().nullable(),
    role: roleSchema,
    scope: roleScopeSchema,
    createdAt: timestamp,
  })
  .meta({ id: 'RoleBinding', description: 'A role granted to a user or a group, in a scope.' });

export const apiTokenSchema = z
  .object({
    id: z.string(),
    userId: z.string(),
    name: z.string(),
    scopes: z.array(permissionSchema),
    expiresAt: timestamp,
    lastUsedAt: timestamp.nullable(),
    createdAt: timestamp,
    revokedAt: timestamp.nullable(),
  })
  .meta({ id: 'ApiToken', description: 'An API token (its secret is shown only when it is created).' });

export const enrolmentSecretSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    expiresAt: timestamp,
    maxUses: z.number().int(),
    uses: z.number().int(),
    createdBy: z.string().nullable(),
    createdAt: timestamp,
    revokedAt: timestamp.nullable(),
  })
  .meta({ id: 'EnrolmentSecret', description: 'A secret agents enrol with (shown only when created).' });

const jsonValue = z.unknown();

export const auditEntrySchema = z
  .object({
    seq: z.number().int(),
    at: timestamp,
    actor: z.object({
      kind: z.enum(['user', 'token', 'agent', 'system']),
      id: z.string().nullable(),
      name: z.string().nullable(),
    }),
    action: z.string(),
    target: z.object({ type: z.string().nullable(), id: z.string().nullable() }),
    before: jsonValue,
    after: jsonValue,
    details: jsonValue,
    prevHash: z.string(),
    hash: z.string(),
  })
  .meta({ id: 'AuditEntry', description: 'One entry of the hash-chained audit log.' });

export const auditFilterSchema = z.object({
  actor: z.string().min(1).optional().describe('Actor id or name.'),
  actorKind: z.enum(['user', 'token', 'agent', 'system']).optional(),
  action: z.string().min(1).optional().describe('Exact action, or a prefix ending in * (user.*).'),
  targetType: z.string().min(1).optional(),
  targetId: z.string().min(1).optional(),
  from: z.iso.datetime({ offset: true }).optional().describe('Inclusive.'),
  to: z.iso.datetime({ offset: true }).optional().describe('Exclusive.'),
});

export const meSchema = z
  .object({
    user: userSchema,
    authMethod: z.enum(['session', 'token']),
    permissions: z.array(permissionSchema),
    bindings: z.array(z.object({ role: roleSchema, scope: roleScopeSchema })),
    token: z
      .object({ id: z.string(), name: z.string(), scopes: z.array(permissionSchema), expiresAt: timestamp })
      .optional(),
  })
  .meta({ id: 'Me', description: 'The caller, what they may do, and how they signed in.' });

export const idParams = z.object({ id: z.uuid() });
