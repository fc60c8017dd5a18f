import type { ColumnType, Generated, JSONColumnType } from 'kysely';
import type { Role, RoleScope } from '@patchwarden/core';

/** timestamptz: read as a Date, written as a Date or an RFC 3339 string. */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
/** A uuid assigned by the database unless given. */
type GeneratedId = Generated<string>;
type TextArray = ColumnType<string[], string[] | undefined, string[]>;
/** jsonb that may be SQL NULL. */
type NullableJson = ColumnType<unknown, string | null | undefined, string | null>;

export interface UsersTable {
  id: GeneratedId;
  /** Lower-cased; unique. */
  username: string;
  display_name: string | null;
  /** argon2id PHC string; null for users who sign in only through single sign-on. */
  password_hash: string | null;
  /** Encrypted (secret-box.ts); never returned by the API. */
  totp_secret: string | null;
  totp_enabled: Generated<boolean>;
  /** The last TOTP time step accepted, so a code cannot be replayed. */
  totp_last_step: number | null;
  external_issuer: string | null;
  external_subject: string | null;
  /** Groups from the identity provider at the last sign-in; group role bindings apply to them. */
  groups: TextArray;
  disabled: Generated<boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface RoleBindingsTable {
  id: GeneratedId;
  user_id: string | null;
  group_name: string | null;
  role: Role;
  scope: JSONColumnType<RoleScope>;
  created_at: Timestamp;
}

export interface ApiTokensTable {
  id: GeneratedId;
  user_id: string;
  name: string;
  /** SHA-256 (hex) of the token secret. */
  token_hash: string;
  scopes: TextArray;
  expires_at: Timestamp;
  last_used_at: NullableTimestamp;
  created_at: Timestamp;
  revoked_at: NullableTimestamp;
}

export interface SessionsTable {
  /** SHA-256 (hex) of the session id the cookie carries. */
  id_hash: string;
  user_id: string;
  csrf_token_hash: string;
  auth_method: string;
  expires_at: Timestamp;
  created_at: Timestamp;
  last_seen_at: Timestamp;
}

export interface EnrolmentSecretsTable {
  id: GeneratedId;
  secret_hash: string;
  name: string;
  expires_at: Timestamp;
  max_uses: number;
  uses: Generated<number>;
  created_by: string | null;
  created_at: Timestamp;
  revoked_at: NullableTimestamp;
}

export interface AgentsTable {
  id: GeneratedId;
  asset_id: string;
  credential_hash: string;
  enrolment_secret_id: string | null;
  enrolled_at: Timestamp;
  last_seen_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

export interface AuditLogTable {
  seq: number;
  at: Timestamp;
  actor_kind: 'user' | 'token' | 'agent' | 'system';
  actor_id: string | null;
  actor_name: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  before: NullableJson;
  after: NullableJson;
  details: NullableJson;
  prev_hash: string;
  hash: string;
}

/** The tables of migration 0003-auth. */
export interface AuthSchema {
  users: UsersTable;
  role_bindings: RoleBindingsTable;
  api_tokens: ApiTokensTable;
  sessions: SessionsTable;
  enrolment_secrets: EnrolmentSecretsTable;
  agents: AgentsTable;
  audit_log: AuditLogTable;
}
