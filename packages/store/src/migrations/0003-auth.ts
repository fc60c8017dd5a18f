import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * Authentication, authorisation and the audit log.
 *
 * Every credential (API token, session id, CSRF token, enrolment secret, agent credential) is a
 * 256-bit random value stored only as its SHA-256: with that much entropy a fast hash cannot be
 * brute-forced, and it can be looked up through a unique index on every request. Passwords are
 * low-entropy and get argon2id instead. TOTP secrets must be readable to check codes, so they are
 * stored encrypted (AES-256-GCM, see secret-box.ts).
 *
 * The audit log is append-only: a trigger refuses UPDATE, DELETE and TRUNCATE. `seq` is assigned
 * by the appender under a lock (not by a sequence, which leaves gaps on rollback), so the log is
 * numbered 1, 2, 3... and a missing row shows as a gap as well as a broken hash chain.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('username', 'text', (col) => col.notNull())
    .addColumn('display_name', 'text')
    .addColumn('password_hash', 'text')
    .addColumn('totp_secret', 'text')
    .addColumn('totp_enabled', 'boolean', (col) => col.notNull().defaultTo(false))
    .addColumn('totp_last_step', 'bigint')
    .addColumn('external_issuer', 'text')
    .addColumn('external_subject', 'text')
    .addColumn('groups', sql`text[]`, (col) => col.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('disabled', 'boolean', (col) => col.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull())
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull())
    .addCheckConstraint(
      'users_username_check',
      sql`username = lower(username) and length(username) between 1 and 200`,
    )
    .addCheckConstraint('users_external_check', sql`(external_issuer is null) = (external_subject is null)`)
    .execute();
  await db.schema.createIndex('users_username_key').unique().on('users').column('username').execute();
  await db.schema
    .createIndex('users_external_key')
    .unique()
    .on('users')
    .columns(['external_issuer', 'external_subject'])
    .where(sql.ref('external_issuer'), 'is not', null)
    .execute();

  await db.schema
    .createTable('role_bindings')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('user_id', 'uuid', (col) => col.references('users.id').onDelete('cascade'))
    .addColumn('group_name', 'text')
    .addColumn('role', 'text', (col) =>
      col.notNull().check(sql`role in ('admin', 'operator', 'approver', 'viewer', 'auditor')`),
    )
    .addColumn('scope', 'jsonb', (col) =>
      col.notNull().check(sql`scope->>'kind' in ('global', 'team', 'asset-filter')`),
    )
    .addColumn('created_at', 'timestamptz', (col) => col.notNull())
    .addCheckConstraint('role_bindings_subject_check', sql`(user_id is null) <> (group_name is null)`)
    .execute();
  await db.schema.createIndex('role_bindings_user_idx').on('role_bindings').column('user_id').execute();
  await db.schema.createIndex('role_bindings_group_idx').on('role_bindings').column('group_name').execute();

  await db.schema
    .createTable('api_tokens')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('user_id', 'uuid', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('token_hash', 'text', (col) => col.notNull().unique())
    .addColumn('scopes', sql`text[]`, (col) => col.notNull())
    .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
    .addColumn('last_used_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull())
    .addColumn('revoked_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('api_tokens_user_idx').on('api_tokens').column('user_id').execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id_hash', 'text', (col) => col.primaryKey())
    .addColumn('user_id', 'uuid', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('csrf_token_hash', 'text', (col) => col.notNull())
    .addColumn('auth_method', 'text', (col) => col.notNull())
    .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull())
    .addColumn('last_seen_at', 'timestamptz', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('sessions_user_idx').on('sessions').column('user_id').execute();
  await db.schema.createIndex('sessions_expires_idx').on('sessions').column('expires_at').execute();

  await db.schema
    .createTable('enrolment_secrets')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('secret_hash', 'text', (col) => col.notNull().unique())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
    .addColumn('max_uses', 'integer', (col) => col.notNull().check(sql`max_uses > 0`))
    .addColumn('uses', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('created_by', 'uuid', (col) => col.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull())
    .addColumn('revoked_at', 'timestamptz')
    .addCheckConstraint('enrolment_secrets_uses_check', sql`uses between 0 and max_uses`)
    .execute();

  // asset_id has no foreign key: the assets table belongs to another migration and an agent may
  // enrol before its asset is stored.
  await db.schema
    .createTable('agents')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('asset_id', 'uuid', (col) => col.notNull())
    .addColumn('credential_hash', 'text', (col) => col.notNull().unique())
    .addColumn('enrolment_secret_id', 'uuid', (col) =>
      col.references('enrolment_secrets.id').onDelete('set null'),
    )
    .addColumn('enrolled_at', 'timestamptz', (col) => col.notNull())
    .addColumn('last_seen_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('agents_asset_idx').on('agents').column('asset_id').execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('seq', 'bigint', (col) => col.primaryKey().check(sql`seq > 0`))
    .addColumn('at', 'timestamptz', (col) => col.notNull())
    .addColumn('actor_kind', 'text', (col) =>
      col.notNull().check(sql`actor_kind in ('user', 'token', 'agent', 'system')`),
    )
    .addColumn('actor_id', 'text')
    .addColumn('actor_name', 'text')
    .addColumn('action', 'text', (col) => col.notNull())
    .addColumn('target_type', 'text')
    .addColumn('target_id', 'text')
    .addColumn('before', 'jsonb')
    .addColumn('after', 'jsonb')
    .addColumn('details', 'jsonb')
    .addColumn('prev_hash', 'text', (col) => col.notNull())
    .addColumn('hash', 'text', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('audit_log_at_idx').on('audit_log').columns(['at', 'seq']).execute();
  await db.schema.createIndex('audit_log_action_idx').on('audit_log').columns(['action', 'seq']).execute();
  await db.schema
    .createIndex('audit_log_target_idx')
    .on('audit_log')
    .columns(['target_type', 'target_id', 'seq'])
    .execute();
  await db.schema
    .createIndex('audit_log_actor_idx')
    .on('audit_log')
    .columns(['actor_kind', 'actor_id', 'seq'])
    .execute();

  await sql`
    create function audit_log_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_log is append-only: % is not allowed', tg_op
        using errcode = 'insufficient_privilege';
    end
    $$
  `.execute(db);
  await sql`
    create trigger audit_log_append_only before update or delete on audit_log
    for each row execute function audit_log_append_only()
  `.execute(db);
  await sql`
    create trigger audit_log_no_truncate before truncate on audit_log
    for each statement execute function audit_log_append_only()
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'audit_log',
    'agents',
    'enrolment_secrets',
    'sessions',
    'api_tokens',
    'role_bindings',
    'users',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
  await sql`drop function if exists audit_log_append_only()`.execute(db);
}
