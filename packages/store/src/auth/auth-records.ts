import type { Selectable } from 'kysely';
import type { Permission, RoleBinding } from '@patchwarden/core';
import type {
  AgentsTable,
  ApiTokensTable,
  EnrolmentSecretsTable,
  RoleBindingsTable,
  SessionsTable,
  UsersTable,
} from '../schema/auth-schema.ts';

/**
 * What the repository returns. None of these carry a secret or a hash of one: they are safe to
 * serialise into API answers and audit entries as they are.
 */
export interface User {
  id: string;
  username: string;
  displayName: string | null;
  disabled: boolean;
  hasPassword: boolean;
  totpEnabled: boolean;
  /** The identity provider account this user signs in with, if any. */
  external: { issuer: string; subject: string } | null;
  groups: string[];
  createdAt: string;
  updatedAt: string;
}

export interface StoredRoleBinding extends RoleBinding {
  id: string;
  /** Exactly one of `userId` and `group` is set. */
  userId: string | null;
  group: string | null;
  createdAt: string;
}

export interface ApiToken {
  id: string;
  userId: string;
  name: string;
  scopes: Permission[];
  expiresAt: string;
  lastUsedAt: string | null;
  createdAt: string;
  revokedAt: string | null;
}

export interface Session {
  /** The SHA-256 of the session id: names the session in logs and the audit log; not a credential. */
  id: string;
  userId: string;
  authMethod: string;
  expiresAt: string;
  createdAt: string;
  lastSeenAt: string;
}

export interface EnrolmentSecret {
  id: string;
  name: string;
  expiresAt: string;
  maxUses: number;
  uses: number;
  createdBy: string | null;
  createdAt: string;
  revokedAt: string | null;
}

export interface Agent {
  id: string;
  assetId: string;
  enrolmentSecretId: string | null;
  enrolledAt: string;
  lastSeenAt: string | null;
  revokedAt: string | null;
}

function iso(date: Date): string {
  return date.toISOString();
}

function isoOrNull(date: Date | null): string | null {
  return date === null ? null : date.toISOString();
}

export function userFromRow(row: Selectable<UsersTable>): User {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    disabled: row.disabled,
    hasPassword: row.password_hash !== null,
    totpEnabled: row.totp_enabled,
    external:
      row.external_issuer !== null && row.external_subject !== null
        ? { issuer: row.external_issuer, subject: row.external_subject }
        : null,
    groups: row.groups,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

export function roleBindingFromRow(row: Selectable<RoleBindingsTable>): StoredRoleBinding {
  return {
    id: row.id,
    userId: row.user_id,
    group: row.group_name,
    role: row.role,
    scope: row.scope,
    createdAt: iso(row.created_at),
  };
}

export function apiTokenFromRow(row: Selectable<ApiTokensTable>): ApiToken {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    scopes: row.scopes as Permission[],
    expiresAt: iso(row.expires_at),
    lastUsedAt: isoOrNull(row.last_used_at),
    createdAt: iso(row.created_at),
    revokedAt: isoOrNull(row.revoked_at),
  };
}

export function sessionFromRow(row: Selectable<SessionsTable>): Session {
  return {
    id: row.id_hash,
    userId: row.user_id,
    authMethod: row.auth_method,
    expiresAt: iso(row.expires_at),
    createdAt: iso(row.created_at),
    lastSeenAt: iso(row.last_seen_at),
  };
}

export function enrolmentSecretFromRow(row: Selectable<EnrolmentSecretsTable>): EnrolmentSecret {
  return {
    id: row.id,
    name: row.name,
    expiresAt: iso(row.expires_at),
    maxUses: row.max_uses,
    uses: row.uses,
    createdBy: row.created_by,
    createdAt: iso(row.created_at),
    revokedAt: isoOrNull(row.revoked_at),
  };
}

export function agentFromRow(row: Selectable<AgentsTable>): Agent {
  return {
    id: row.id,
    assetId: row.asset_id,
    enrolmentSecretId: row.enrolment_secret_id,
    enrolledAt: iso(row.enrolled_at),
    lastSeenAt: isoOrNull(row.last_seen_at),
    revokedAt: isoOrNull(row.revoked_at),
  };
}
