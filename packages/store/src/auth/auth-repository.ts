import { sql } from 'kysely';
import type { Kysely, Transaction } from 'kysely';
import { isPermission, parseRoleScope, pwError } from '@patchwarden/core';
import type { Role, RoleScope } from '@patchwarden/core';
import type { Database } from '../database/open-database.ts';
import { isUniqueViolation } from '../database/pg-errors.ts';
import type { Schema } from '../schema/schema.ts';
import { jsonbParam } from '../sql/jsonb-param.ts';
import { textArrayParam } from '../sql/text-array-param.ts';
import { AuditLog } from '../audit/audit-log.ts';
import type { AuditActor } from '../audit/audit-entry.ts';
import { SYSTEM_ACTOR } from '../audit/audit-entry.ts';
import {
  agentFromRow,
  apiTokenFromRow,
  enrolmentSecretFromRow,
  roleBindingFromRow,
  sessionFromRow,
  userFromRow,
} from './auth-records.ts';
import type { Agent, ApiToken, EnrolmentSecret, Session, StoredRoleBinding, User } from './auth-records.ts';
import {
  checkPasswordPolicy,
  generatePassword,
  hashPassword,
  spendVerificationTime,
  verifyPassword,
} from './passwords.ts';
import type { SecretBox } from './secret-box.ts';
import type { AgentCredentialCache } from './agent-credential-cache.ts';
import { agentCredentialCacheOf } from './agent-credential-cache.ts';
import { hashSecret, isSecretOf, newSecret, sameHash } from './secrets.ts';
import { base32Encode, checkTotp, newTotpSecret, totpUri } from './totp.ts';

type Tx = Transaction<Schema>;

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const BOOTSTRAP_LOCK = sql`hashtextextended('patchwarden:bootstrap-admin', 0)`;
const USERNAME = /^[\p{L}\p{N}._@+-]{1,200}$/u;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const MAX_TOKEN_LIFETIME_MS = 730 * DAY;
export const MAX_ENROLMENT_LIFETIME_MS = 90 * DAY;

export interface AuthRepositoryOptions {
  /** Where state changes are recorded; one is created on the same database when absent. */
  auditLog?: AuditLog;
  clock?: () => Date;
  /** Encrypts TOTP secrets; without it TOTP cannot be enrolled (the seed would sit in clear). */
  secretBox?: SecretBox;
  /** A session ends this long after sign-in whatever happens (default 12 h). */
  sessionLifetimeMs?: number;
  /** A session ends after this long without a request (default 2 h). */
  sessionIdleMs?: number;
  /** `last_seen_at` / `last_used_at` are written at most this often per credential (default 1 min). */
  touchIntervalMs?: number;
}

export interface NewUser {
  username: string;
  displayName?: string | null;
  password?: string;
  disabled?: boolean;
  external?: { issuer: string; subject: string };
  groups?: string[];
}

export interface UserChanges {
  displayName?: string | null;
  disabled?: boolean;
  groups?: string[];
}

export interface NewRoleBinding {
  userId?: string;
  group?: string;
  role: Role;
  scope: RoleScope;
}

export interface NewApiToken {
  userId: string;
  name: string;
  scopes: readonly string[];
  expiresAt: Date | string;
}

export interface NewSession {
  authMethod: 'password' | 'oidc';
  /** Recorded in the audit entry (client address...); never put a secret here. */
  context?: Record<string, unknown>;
}

/** A new session: the two secrets go to the browser once and are never readable again. */
export interface IssuedSession {
  session: Session;
  /** The cookie value. */
  sessionSecret: string;
  /** What the browser echoes in `x-csrf-token` on state-changing requests. */
  csrfToken: string;
}

export interface SessionUse {
  session: Session;
  user: User;
  /** The SHA-256 of the CSRF token, to check a request's `x-csrf-token` against. */
  csrfTokenHash: string;
}

export interface NewEnrolmentSecret {
  name: string;
  expiresAt: Date | string;
  maxUses: number;
}

export interface BootstrapResult {
  created: boolean;
  user?: User;
  /** Only when the password was generated: print it once, it is stored nowhere in clear. */
  generatedPassword?: string;
}

export interface BootstrapOptions {
  username?: string;
  /** Defaults to `process.env`; `PATCHWARDEN_ADMIN_PASSWORD` sets the password. */
  env?: Readonly<Record<string, string | undefined>>;
}

function invalid(field: string, message: string): never {
  throw pwError('PW_ERR_VALIDATION', message, { field });
}

export function normaliseUsername(username: string): string {
  const normalised = username.normalize('NFC').trim().toLowerCase();
  if (!USERNAME.test(normalised)) {
    invalid('username', 'A username has 1 to 200 letters, digits or . _ @ + - characters');
  }
  return normalised;
}

function requireUuid(value: string, field: string): string {
  if (!UUID.test(value)) invalid(field, `${field} must be a UUID`);
  return value.toLowerCase();
}

function cleanName(value: string, field: string): string {
  const trimmed = value.trim();
  if (trimmed === '' || trimmed.length > 200) invalid(field, `${field} must have 1 to 200 characters`);
  return trimmed;
}

function cleanGroups(groups: readonly string[]): string[] {
  return [...new Set(groups.map((group) => group.trim()).filter((group) => group !== ''))].sort();
}

function toDate(value: Date | string, field: string): Date {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) invalid(field, `${field} is not a valid date`);
  return date;
}

function notFound(what: string, id: string): never {
  throw pwError('PW_ERR_NOT_FOUND', `No ${what} ${id}`, { record: id });
}

/**
 * Users, credentials and who may do what, with every change recorded in the audit log in the
 * same transaction. Credentials are returned once, when created, and stored only hashed; the
 * records this repository returns never contain a secret.
 */
export class AuthRepository {
  readonly #database: Database;
  readonly #db: Kysely<Schema>;
  readonly #audit: AuditLog;
  readonly #clock: () => Date;
  readonly #secretBox: SecretBox | undefined;
  readonly #sessionLifetimeMs: number;
  readonly #sessionIdleMs: number;
  readonly #touchIntervalMs: number;
  readonly #agentCredentials: AgentCredentialCache;

  constructor(database: Database, options: AuthRepositoryOptions = {}) {
    this.#database = database;
    this.#db = database.db;
    this.#clock = options.clock ?? (() => new Date());
    this.#audit = options.auditLog ?? new AuditLog(database, { clock: this.#clock });
    this.#secretBox = options.secretBox;
    this.#sessionLifetimeMs = options.sessionLifetimeMs ?? 12 * 60 * MINUTE;
    this.#sessionIdleMs = options.sessionIdleMs ?? 120 * MINUTE;
    this.#touchIntervalMs = options.touchIntervalMs ?? MINUTE;
    this.#agentCredentials = agentCredentialCacheOf(database);
  }

  get auditLog(): AuditLog {
    return this.#audit;
  }

  // ── users ──────────────────────────────────────────────────────────────────────────────

  async createUser(input: NewUser, actor: AuditActor): Promise<User> {
    const username = normaliseUsername(input.username);
    if (input.password !== undefined) checkPasswordPolicy(input.password);
    const passwordHash = input.password === undefined ? null : await hashPassword(input.password);
    return this.#database.transaction((trx) =>
      this.#insertUser(trx, { ...input, username }, passwordHash, actor),
    );
  }

  async #insertUser(trx: Tx, input: NewUser, passwordHash: string | null, actor: AuditActor): Promise<User> {
    const now = this.#clock();
    const row = await trx
      .insertInto('users')
      .values({
        username: input.username,
        display_name: input.displayName?.trim() || null,
        password_hash: passwordHash,
        external_issuer: input.external?.issuer ?? null,
        external_subject: input.external?.subject ?? null,
        groups: textArrayParam(cleanGroups(input.groups ?? [])),
        disabled: input.disabled ?? false,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow()
      .catch((error: unknown) => {
        if (isUniqueViolation(error)) {
          throw pwError('PW_ERR_CONFLICT', `A user named ${input.username} already exists`, {
            field: 'username',
          });
        }
        throw error;
      });
    const user = userFromRow(row);
    await this.#audit.append(
      { actor, action: 'user.create', target: { type: 'user', id: user.id }, after: user },
      trx,
    );
    return user;
  }

  async getUser(id: string): Promise<User | undefined> {
    if (!UUID.test(id)) return undefined;
    const row = await this.#db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row && userFromRow(row);
  }

  async findUserByUsername(username: string): Promise<User | undefined> {
    const row = await this.#db
      .selectFrom('users')
      .selectAll()
      .where('username', '=', username.normalize('NFC').trim().toLowerCase())
      .executeTakeFirst();
    return row && userFromRow(row);
  }

  async findUserByExternalId(issuer: string, subject: string): Promise<User | undefined> {
    const row = await this.#db
      .selectFrom('users')
      .selectAll()
      .where('external_issuer', '=', issuer)
      .where('external_subject', '=', subject)
      .executeTakeFirst();
    return row && userFromRow(row);
  }

  async listUsers(): Promise<User[]> {
    const rows = await this.#db.selectFrom('users').selectAll().orderBy('username').execute();
    return rows.map(userFromRow);
  }

  /** Disabling a user ends their sessions; their tokens stop working while they are disabled. */
  async updateUser(id: string, changes: UserChanges, actor: AuditActor): Promise<User> {
    return this.#database.transaction(async (trx) => {
      const before = await this.#lockUser(trx, id);
      const row = await trx
        .updateTable('users')
        .set({
          ...(changes.displayName !== undefined ? { display_name: changes.displayName?.trim() || null } : {}),
          ...(changes.disabled !== undefined ? { disabled: changes.disabled } : {}),
          ...(changes.groups !== undefined ? { groups: textArrayParam(cleanGroups(changes.groups)) } : {}),
          updated_at: this.#clock(),
        })
        .where('id', '=', before.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      const after = userFromRow(row);
      if (after.disabled) await trx.deleteFrom('sessions').where('user_id', '=', after.id).execute();
      await this.#audit.append(
        { actor, action: 'user.update', target: { type: 'user', id }, before, after },
        trx,
      );
      return after;
    });
  }

  async deleteUser(id: string, actor: AuditActor): Promise<void> {
    await this.#database.transaction(async (trx) => {
      const before = await this.#lockUser(trx, id);
      await trx.deleteFrom('users').where('id', '=', before.id).execute();
      await this.#audit.append({ actor, action: 'user.delete', target: { type: 'user', id }, before }, trx);
    });
  }

  async #lockUser(trx: Tx, id: string): Promise<User> {
    if (!UUID.test(id)) notFound('user', id);
    const row = await trx.selectFrom('users').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    return row ? userFromRow(row) : notFound('user', id);
  }

  // ── passwords ──────────────────────────────────────────────────────────────────────────

  /** Sets a new password and ends the user's sessions (a stolen session does not survive it). */
  async setPassword(userId: string, password: string, actor: AuditActor): Promise<void> {
    checkPasswordPolicy(password);
    const passwordHash = await hashPassword(password);
    await this.#database.transaction(async (trx) => {
      const before = await this.#lockUser(trx, userId);
      await trx
        .updateTable('users')
        .set({ password_hash: passwordHash, updated_at: this.#clock() })
        .where('id', '=', before.id)
        .execute();
      const ended = await trx.deleteFrom('sessions').where('user_id', '=', before.id).executeTakeFirst();
      await this.#audit.append(
        {
          actor,
          action: 'user.password_set',
          target: { type: 'user', id: userId },
          details: { sessionsEnded: Number(ended.numDeletedRows) },
        },
        trx,
      );
    });
  }

  /**
   * The user whose password this is, or undefined. Takes the time of one argon2 verification
   * whether or not the user exists, has a password or is disabled.
   */
  async checkPassword(username: string, password: string): Promise<User | undefined> {
    const row = await this.#db
      .selectFrom('users')
      .selectAll()
      .where('username', '=', username.normalize('NFC').trim().toLowerCase())
      .executeTakeFirst();
    if (row?.password_hash == null) {
      await spendVerificationTime(password);
      return undefined;
    }
    const ok = await verifyPassword(row.password_hash, password);
    return ok && !row.disabled ? userFromRow(row) : undefined;
  }

  // ── TOTP ───────────────────────────────────────────────────────────────────────────────

  /**
   * Stores a new TOTP seed for the user, not yet in force: `confirmTotp` with a code from the app
   * turns it on, so a mistyped enrolment cannot lock anyone out. Returns the seed once.
   */
  async startTotpEnrolment(userId: string, actor: AuditActor): Promise<{ secret: string; uri: string }> {
    const box = this.#requireSecretBox();
    return this.#database.transaction(async (trx) => {
      const user = await this.#lockUser(trx, userId);
      const seed = newTotpSecret();
      await trx
        .updateTable('users')
        .set({
          totp_secret: box.seal(seed, user.id),
          totp_enabled: false,
          totp_last_step: null,
          updated_at: this.#clock(),
        })
        .where('id', '=', user.id)
        .execute();
      await this.#audit.append(
        { actor, action: 'user.totp_start', target: { type: 'user', id: user.id } },
        trx,
      );
      return { secret: base32Encode(seed), uri: totpUri(seed, user.username) };
    });
  }

  /** Turns TOTP on when `code` is valid for the pending seed. */
  async confirmTotp(userId: string, code: string, actor: AuditActor): Promise<boolean> {
    if (!(await this.checkTotpCode(userId, code, { pending: true }))) return false;
    await this.#database.transaction(async (trx) => {
      const before = await this.#lockUser(trx, userId);
      const row = await trx
        .updateTable('users')
        .set({ totp_enabled: true, updated_at: this.#clock() })
        .where('id', '=', before.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      const after = userFromRow(row);
      await this.#audit.append(
        { actor, action: 'user.totp_enable', target: { type: 'user', id: userId }, before, after },
        trx,
      );
    });
    return true;
  }

  async disableTotp(userId: string, actor: AuditActor): Promise<void> {
    await this.#database.transaction(async (trx) => {
      const before = await this.#lockUser(trx, userId);
      const row = await trx
        .updateTable('users')
        .set({ totp_secret: null, totp_enabled: false, totp_last_step: null, updated_at: this.#clock() })
        .where('id', '=', before.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      const after = userFromRow(row);
      await this.#audit.append(
        { actor, action: 'user.totp_disable', target: { type: 'user', id: userId }, before, after },
        trx,
      );
    });
  }

  /**
   * Whether `code` is a valid TOTP code for the user now. A code's time step is remembered
   * atomically (a conditional UPDATE), so the same or an older code is refused afterwards, even
   * when two requests race with it.
   */
  async checkTotpCode(userId: string, code: string, options: { pending?: boolean } = {}): Promise<boolean> {
    if (!UUID.test(userId) || this.#secretBox === undefined) return false;
    const row = await this.#db
      .selectFrom('users')
      .select(['id', 'totp_secret', 'totp_enabled', 'totp_last_step'])
      .where('id', '=', userId)
      .executeTakeFirst();
    if (row?.totp_secret == null || row.totp_enabled === (options.pending ?? false)) return false;
    const seed = this.#secretBox.open(row.totp_secret, row.id);
    const step = checkTotp(seed, code, this.#clock().getTime(), { lastStep: row.totp_last_step });
    if (step === undefined) return false;
    const claimed = await this.#db
      .updateTable('users')
      .set({ totp_last_step: step })
      .where('id', '=', row.id)
      .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
      .executeTakeFirst();
    return claimed.numUpdatedRows > 0n;
  }

  #requireSecretBox(): SecretBox {
    if (this.#secretBox === undefined) {
      throw pwError(
        'PW_ERR_USAGE',
        'TOTP needs an encryption key for its secrets: set PATCHWARDEN_SECRET_KEY (32 bytes, base64 or hex)',
        { field: 'PATCHWARDEN_SECRET_KEY' },
      );
    }
    return this.#secretBox;
  }

  // ── role bindings ──────────────────────────────────────────────────────────────────────

  async addRoleBinding(input: NewRoleBinding, actor: AuditActor): Promise<StoredRoleBinding> {
    if ((input.userId === undefined) === (input.group === undefined)) {
      invalid('userId|group', 'A role binding names exactly one of a user or a group');
    }
    const scope = parseRoleScope(input.scope);
    const group = input.group === undefined ? null : cleanName(input.group, 'group');
    return this.#database.transaction(async (trx) => {
      const userId = input.userId === undefined ? null : (await this.#lockUser(trx, input.userId)).id;
      const row = await trx
        .insertInto('role_bindings')
        .values({
          user_id: userId,
          group_name: group,
          role: input.role,
          scope: jsonbParam(scope),
          created_at: this.#clock(),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      const binding = roleBindingFromRow(row);
      await this.#audit.append(
        {
          actor,
          action: 'role_binding.create',
          target: { type: 'role_binding', id: binding.id },
          after: binding,
        },
        trx,
      );
      return binding;
    });
  }

  async removeRoleBinding(id: string, actor: AuditActor): Promise<void> {
    await this.#database.transaction(async (trx) => {
      if (!UUID.test(id)) notFound('role binding', id);
      const row = await trx
        .deleteFrom('role_bindings')
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      if (!row) notFound('role binding', id);
      await this.#audit.append(
        {
          actor,
          action: 'role_binding.delete',
          target: { type: 'role_binding', id },
          before: roleBindingFromRow(row),
        },
        trx,
      );
    });
  }

  async listRoleBindings(filter: { userId?: string; group?: string } = {}): Promise<StoredRoleBinding[]> {
    let query = this.#db.selectFrom('role_bindings').selectAll();
    if (filter.userId !== undefined)
      query = query.where('user_id', '=', requireUuid(filter.userId, 'userId'));
    if (filter.group !== undefined) query = query.where('group_name', '=', filter.group);
    const rows = await query.orderBy('created_at').orderBy('id').execute();
    return rows.map(roleBindingFromRow);
  }

  /** The bindings that apply to a user: their own and those of every group they are in. */
  async bindingsForUser(user: Pick<User, 'id' | 'groups'>): Promise<StoredRoleBinding[]> {
    const rows = await this.#db
      .selectFrom('role_bindings')
      .selectAll()
      .where((eb) =>
        user.groups.length === 0
          ? eb('user_id', '=', user.id)
          : eb.or([eb('user_id', '=', user.id), eb('group_name', 'in', user.groups)]),
      )
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(roleBindingFromRow);
  }

  // ── API tokens ─────────────────────────────────────────────────────────────────────────

  /** Creates a token; `secret` is returned this once and stored only as its SHA-256. */
  async createToken(input: NewApiToken, actor: AuditActor): Promise<{ token: ApiToken; secret: string }> {
    const name = cleanName(input.name, 'name');
    const scopes = [...new Set(input.scopes)];
    if (scopes.length === 0) invalid('scopes', 'A token needs at least one scope');
    for (const [index, scope] of scopes.entries()) {
      if (!isPermission(scope)) invalid(`scopes[${index}]`, `Unknown permission ${scope}`);
    }
    const now = this.#clock();
    const expiresAt = toDate(input.expiresAt, 'expiresAt');
    if (expiresAt.getTime() <= now.getTime()) invalid('expiresAt', 'expiresAt must be in the future');
    if (expiresAt.getTime() - now.getTime() > MAX_TOKEN_LIFETIME_MS) {
      invalid('expiresAt', 'A token may live at most 730 days');
    }
    const secret = newSecret('apiToken');
    return this.#database.transaction(async (trx) => {
      const user = await this.#lockUser(trx, input.userId);
      const row = await trx
        .insertInto('api_tokens')
        .values({
          user_id: user.id,
          name,
          token_hash: hashSecret(secret),
          scopes: textArrayParam(scopes),
          expires_at: expiresAt,
          created_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      const token = apiTokenFromRow(row);
      await this.#audit.append(
        { actor, action: 'token.create', target: { type: 'api_token', id: token.id }, after: token },
        trx,
      );
      return { token, secret };
    });
  }

  async getToken(id: string): Promise<ApiToken | undefined> {
    if (!UUID.test(id)) return undefined;
    const row = await this.#db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
    return row && apiTokenFromRow(row);
  }

  async listTokens(filter: { userId?: string } = {}): Promise<ApiToken[]> {
    let query = this.#db.selectFrom('api_tokens').selectAll();
    if (filter.userId !== undefined)
      query = query.where('user_id', '=', requireUuid(filter.userId, 'userId'));
    const rows = await query.orderBy('created_at', 'desc').orderBy('id').execute();
    return rows.map(apiTokenFromRow);
  }

  async revokeToken(id: string, actor: AuditActor): Promise<ApiToken> {
    return this.#database.transaction(async (trx) => {
      if (!UUID.test(id)) notFound('API token', id);
      const before = await trx
        .selectFrom('api_tokens')
        .selectAll()
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      if (!before) notFound('API token', id);
      if (before.revoked_at !== null) return apiTokenFromRow(before);
      const row = await trx
        .updateTable('api_tokens')
        .set({ revoked_at: this.#clock() })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      const after = apiTokenFromRow(row);
      await this.#audit.append(
        {
          actor,
          action: 'token.revoke',
          target: { type: 'api_token', id },
          before: apiTokenFromRow(before),
          after,
        },
        trx,
      );
      return after;
    });
  }

  /** The token and its user when `secret` is a live token of an enabled user, else undefined. */
  async verifyToken(secret: string): Promise<{ token: ApiToken; user: User } | undefined> {
    if (!isSecretOf('apiToken', secret)) return undefined;
    const now = this.#clock();
    const found = await this.#db
      .selectFrom('api_tokens')
      .selectAll()
      .where('token_hash', '=', hashSecret(secret))
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    if (!found) return undefined;
    const userRow = await this.#db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', found.user_id)
      .executeTakeFirst();
    if (!userRow || userRow.disabled) return undefined;
    let row = found;
    if (row.last_used_at === null || now.getTime() - row.last_used_at.getTime() >= this.#touchIntervalMs) {
      await this.#db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', row.id).execute();
      row = { ...row, last_used_at: now };
    }
    return { token: apiTokenFromRow(row), user: userFromRow(userRow) };
  }

  // ── sessions ───────────────────────────────────────────────────────────────────────────

  /** Starts a session after a successful sign-in (always a new id: no session fixation). */
  async createSession(userId: string, input: NewSession, actor?: AuditActor): Promise<IssuedSession> {
    return this.#database.transaction(async (trx) => {
      const user = await this.#lockUser(trx, userId);
      if (user.disabled) throw pwError('PW_ERR_FORBIDDEN', 'This account is disabled', { record: user.id });
      const issued = await this.#insertSession(trx, user.id, input.authMethod);
      await this.#audit.append(
        {
          actor: actor ?? { kind: 'user', id: user.id, name: user.username },
          action: 'session.create',
          target: { type: 'session', id: issued.session.id },
          details: {
            ...input.context,
            userId: user.id,
            authMethod: input.authMethod,
            expiresAt: issued.session.expiresAt,
          },
        },
        trx,
      );
      return issued;
    });
  }

  async #insertSession(trx: Tx, userId: string, authMethod: string): Promise<IssuedSession> {
    const now = this.#clock();
    const sessionSecret = newSecret('session');
    const csrfToken = newSecret('csrf');
    const row = await trx
      .insertInto('sessions')
      .values({
        id_hash: hashSecret(sessionSecret),
        user_id: userId,
        csrf_token_hash: hashSecret(csrfToken),
        auth_method: authMethod,
        expires_at: new Date(now.getTime() + this.#sessionLifetimeMs),
        created_at: now,
        last_seen_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { session: sessionFromRow(row), sessionSecret, csrfToken };
  }

  /**
   * The session and its user when `sessionSecret` names a live session (not past its lifetime nor
   * idle for too long) of an enabled user, else undefined. Dead sessions are deleted on sight.
   */
  async verifySession(sessionSecret: string): Promise<SessionUse | undefined> {
    if (!isSecretOf('session', sessionSecret)) return undefined;
    const now = this.#clock();
    const idHash = hashSecret(sessionSecret);
    const row = await this.#db
      .selectFrom('sessions')
      .selectAll()
      .where('id_hash', '=', idHash)
      .executeTakeFirst();
    if (!row) return undefined;
    const idleSince = now.getTime() - row.last_seen_at.getTime();
    if (row.expires_at.getTime() <= now.getTime() || idleSince >= this.#sessionIdleMs) {
      await this.#db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
      return undefined;
    }
    const userRow = await this.#db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', row.user_id)
      .executeTakeFirst();
    if (!userRow || userRow.disabled) return undefined;
    let current = row;
    if (idleSince >= this.#touchIntervalMs) {
      await this.#db
        .updateTable('sessions')
        .set({ last_seen_at: now })
        .where('id_hash', '=', idHash)
        .execute();
      current = { ...row, last_seen_at: now };
    }
    return {
      session: sessionFromRow(current),
      user: userFromRow(userRow),
      csrfTokenHash: row.csrf_token_hash,
    };
  }

  /** Whether `csrfToken` is the one issued with the session (compared as hashes, in constant time). */
  checkCsrf(use: Pick<SessionUse, 'csrfTokenHash'>, csrfToken: string | undefined): boolean {
    if (csrfToken === undefined || !isSecretOf('csrf', csrfToken)) return false;
    return sameHash(hashSecret(csrfToken), use.csrfTokenHash);
  }

  /** Replaces a live session by a new one (new id, new CSRF token), e.g. after a privilege change. */
  async rotateSession(sessionSecret: string, actor?: AuditActor): Promise<IssuedSession | undefined> {
    const use = await this.verifySession(sessionSecret);
    if (!use) return undefined;
    return this.#database.transaction(async (trx) => {
      const ended = await trx.deleteFrom('sessions').where('id_hash', '=', use.session.id).executeTakeFirst();
      if (ended.numDeletedRows === 0n) return undefined;
      const issued = await this.#insertSession(trx, use.user.id, use.session.authMethod);
      await this.#audit.append(
        {
          actor: actor ?? { kind: 'user', id: use.user.id, name: use.user.username },
          action: 'session.rotate',
          target: { type: 'session', id: issued.session.id },
          details: { previous: use.session.id },
        },
        trx,
      );
      return issued;
    });
  }

  /** Ends one session (sign-out). Returns whether it existed. */
  async endSession(sessionSecret: string, actor?: AuditActor): Promise<boolean> {
    if (!isSecretOf('session', sessionSecret)) return false;
    const idHash = hashSecret(sessionSecret);
    return this.#database.transaction(async (trx) => {
      const row = await trx
        .deleteFrom('sessions')
        .where('id_hash', '=', idHash)
        .returningAll()
        .executeTakeFirst();
      if (!row) return false;
      await this.#audit.append(
        {
          actor: actor ?? { kind: 'user', id: row.user_id },
          action: 'session.end',
          target: { type: 'session', id: row.id_hash },
          details: { userId: row.user_id },
        },
        trx,
      );
      return true;
    });
  }

  /** Deletes sessions past their lifetime or idle limit; returns how many. */
  async purgeExpiredSessions(): Promise<number> {
    const now = this.#clock();
    const result = await this.#db
      .deleteFrom('sessions')
      .where((eb) =>
        eb.or([
          eb('expires_at', '<=', now),
          eb('last_seen_at', '<=', new Date(now.getTime() - this.#sessionIdleMs)),
        ]),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  // ── agent enrolment ────────────────────────────────────────────────────────────────────

  /** A secret agents enrol with, at most `maxUses` times before `expiresAt`; returned once. */
  async createEnrolmentSecret(
    input: NewEnrolmentSecret,
    actor: AuditActor,
  ): Promise<{ enrolmentSecret: EnrolmentSecret; secret: string }> {
    const name = cleanName(input.name, 'name');
    if (!Number.isInteger(input.maxUses) || input.maxUses < 1 || input.maxUses > 1_000_000) {
      invalid('maxUses', 'maxUses must be a whole number from 1 to 1000000');
    }
    const now = this.#clock();
    const expiresAt = toDate(input.expiresAt, 'expiresAt');
    if (expiresAt.getTime() <= now.getTime()) invalid('expiresAt', 'expiresAt must be in the future');
    if (expiresAt.getTime() - now.getTime() > MAX_ENROLMENT_LIFETIME_MS) {
      invalid('expiresAt', 'An enrolment secret may live at most 90 days');
    }
    const secret = newSecret('enrolment');
    return this.#database.transaction(async (trx) => {
      // `created_by` names a user: a token acts for the user who owns it.
      let createdBy: string | null = actor.kind === 'user' ? (actor.id ?? null) : null;
      if (actor.kind === 'token' && actor.id) {
        const token = await trx
          .selectFrom('api_tokens')
          .select('user_id')
          .where('id', '=', actor.id)
          .executeTakeFirst();
        createdBy = token?.user_id ?? null;
      }
      const row = await trx
        .insertInto('enrolment_secrets')
        .values({
          secret_hash: hashSecret(secret),
          name,
          expires_at: expiresAt,
          max_uses: input.maxUses,
          created_by: createdBy,
          created_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      const enrolmentSecret = enrolmentSecretFromRow(row);
      await this.#audit.append(
        {
          actor,
          action: 'enrolment_secret.create',
          target: { type: 'enrolment_secret', id: enrolmentSecret.id },
          after: enrolmentSecret,
        },
        trx,
      );
      return { enrolmentSecret, secret };
    });
  }

  async listEnrolmentSecrets(): Promise<EnrolmentSecret[]> {
    const rows = await this.#db
      .selectFrom('enrolment_secrets')
      .selectAll()
      .orderBy('created_at', 'desc')
      .execute();
    return rows.map(enrolmentSecretFromRow);
  }

  async revokeEnrolmentSecret(id: string, actor: AuditActor): Promise<EnrolmentSecret> {
    return this.#database.transaction(async (trx) => {
      if (!UUID.test(id)) notFound('enrolment secret', id);
      const before = await trx
        .selectFrom('enrolment_secrets')
        .selectAll()
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      if (!before) notFound('enrolment secret', id);
      const row = await trx
        .updateTable('enrolment_secrets')
        .set({ revoked_at: before.revoked_at ?? this.#clock() })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      const after = enrolmentSecretFromRow(row);
      await this.#audit.append(
        {
          actor,
          action: 'enrolment_secret.revoke',
          target: { type: 'enrolment_secret', id },
          before: enrolmentSecretFromRow(before),
          after,
        },
        trx,
      );
      return after;
    });
  }

  /**
   * Spends one use of an enrolment secret and issues the agent's credential, in one transaction:
   * the conditional UPDATE is atomic, so `maxUses` holds however many agents enrol at once.
   * Throws PW_ERR_UNAUTHENTICATED for an unknown, revoked, expired or used-up secret.
   */
  async enrolAgent(input: {
    secret: string;
    assetId: string;
  }): Promise<{ agent: Agent; credential: string }> {
    const assetId = requireUuid(input.assetId, 'assetId');
    const refused = () =>
      pwError('PW_ERR_UNAUTHENTICATED', 'The enrolment secret is unknown, revoked, expired or used up', {
        field: 'secret',
      });
    if (!isSecretOf('enrolment', input.secret)) throw refused();
    const now = this.#clock();
    const credential = newSecret('agent');
    return this.#database.transaction(async (trx) => {
      const spent = await trx
        .updateTable('enrolment_secrets')
        .set((eb) => ({ uses: eb('uses', '+', 1) }))
        .where('secret_hash', '=', hashSecret(input.secret))
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .where((eb) => eb('uses', '<', eb.ref('max_uses')))
        .returning(['id', 'name', 'uses', 'max_uses'])
        .executeTakeFirst();
      if (!spent) throw refused();
      const row = await trx
        .insertInto('agents')
        .values({
          asset_id: assetId,
          credential_hash: hashSecret(credential),
          enrolment_secret_id: spent.id,
          enrolled_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      const agent = agentFromRow(row);
      await this.#audit.append(
        {
          actor: { kind: 'agent', id: agent.id },
          action: 'agent.enrol',
          target: { type: 'agent', id: agent.id },
          after: agent,
          details: {
            enrolmentSecretId: spent.id,
            enrolmentSecretName: spent.name,
            uses: spent.uses,
            maxUses: spent.max_uses,
          },
        },
        trx,
      );
      return { agent, credential };
    });
  }

  /**
   * The agent and its asset when `credential` belongs to an agent that is not revoked. Answers
   * come from a per-process cache for at most AGENT_CREDENTIAL_TTL_MS (5 s, see
   * agent-credential-cache.ts): a revocation in this process applies at once, one made by another
   * process within that bound.
   */
  async verifyAgentCredential(credential: string): Promise<{ agentId: string; assetId: string } | undefined> {
    if (!isSecretOf('agent', credential)) return undefined;
    const credentialHash = hashSecret(credential);
    const now = this.#clock();
    const cached = this.#agentCredentials.get(credentialHash);
    if (cached) {
      if (cached.lastSeenAt === undefined || now.getTime() - cached.lastSeenAt >= this.#touchIntervalMs) {
        cached.lastSeenAt = now.getTime();
        await this.#db
          .updateTable('agents')
          .set({ last_seen_at: now })
          .where('id', '=', cached.agentId)
          .execute();
      }
      return { agentId: cached.agentId, assetId: cached.assetId };
    }
    const generation = this.#agentCredentials.generation();
    const row = await this.#db
      .selectFrom('agents')
      .select(['id', 'asset_id', 'last_seen_at'])
      .where('credential_hash', '=', credentialHash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (!row) return undefined;
    let lastSeenAt = row.last_seen_at?.getTime();
    if (lastSeenAt === undefined || now.getTime() - lastSeenAt >= this.#touchIntervalMs) {
      await this.#db.updateTable('agents').set({ last_seen_at: now }).where('id', '=', row.id).execute();
      lastSeenAt = now.getTime();
    }
    this.#agentCredentials.store(
      credentialHash,
      { agentId: row.id, assetId: row.asset_id, lastSeenAt },
      generation,
    );
    return { agentId: row.id, assetId: row.asset_id };
  }

  async listAgents(): Promise<Agent[]> {
    const rows = await this.#db.selectFrom('agents').selectAll().orderBy('enrolled_at', 'desc').execute();
    return rows.map(agentFromRow);
  }

  /** Revokes an agent; its credential stops working in this process at once (see verifyAgentCredential). */
  async revokeAgent(agentId: string, actor: AuditActor): Promise<Agent> {
    // Dropped before (no new entry from a read racing the transaction) and after it commits.
    this.#agentCredentials.revoke(agentId);
    try {
      return await this.#revokeAgent(agentId, actor);
    } finally {
      this.#agentCredentials.revoke(agentId);
    }
  }

  async #revokeAgent(agentId: string, actor: AuditActor): Promise<Agent> {
    return this.#database.transaction(async (trx) => {
      if (!UUID.test(agentId)) notFound('agent', agentId);
      const before = await trx
        .selectFrom('agents')
        .selectAll()
        .where('id', '=', agentId)
        .forUpdate()
        .executeTakeFirst();
      if (!before) notFound('agent', agentId);
      const row = await trx
        .updateTable('agents')
        .set({ revoked_at: before.revoked_at ?? this.#clock() })
        .where('id', '=', agentId)
        .returningAll()
        .executeTakeFirstOrThrow();
      const after = agentFromRow(row);
      await this.#audit.append(
        {
          actor,
          action: 'agent.revoke',
          target: { type: 'agent', id: agentId },
          before: agentFromRow(before),
          after,
        },
        trx,
      );
      return after;
    });
  }

  // ── first start ────────────────────────────────────────────────────────────────────────

  /**
   * On first start (no user at all), creates an administrator with a global admin binding. The
   * password comes from `PATCHWARDEN_ADMIN_PASSWORD`, else one is generated and returned once to
   * be printed. Serialised by a lock, so two servers starting together create one admin.
   */
  async bootstrapAdmin(options: BootstrapOptions = {}): Promise<BootstrapResult> {
    const env = options.env ?? process.env;
    const username = normaliseUsername(options.username ?? 'admin');
    const given = env['PATCHWARDEN_ADMIN_PASSWORD'];
    const password = given === undefined || given === '' ? generatePassword() : given;
    checkPasswordPolicy(password, 'PATCHWARDEN_ADMIN_PASSWORD');
    const alreadyThere = await this.#db.selectFrom('users').select('id').limit(1).executeTakeFirst();
    if (alreadyThere) return { created: false };
    const passwordHash = await hashPassword(password);
    return this.#database.transaction(async (trx) => {
      await sql`select pg_advisory_xact_lock(${BOOTSTRAP_LOCK})`.execute(trx);
      const existing = await trx.selectFrom('users').select('id').limit(1).executeTakeFirst();
      if (existing) return { created: false };
      const user = await this.#insertUser(
        trx,
        { username, displayName: 'Administrator' },
        passwordHash,
        SYSTEM_ACTOR,
      );
      const row = await trx
        .insertInto('role_bindings')
        .values({
          user_id: user.id,
          role: 'admin',
          scope: jsonbParam({ kind: 'global' }),
          created_at: this.#clock(),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      const binding = roleBindingFromRow(row);
      await this.#audit.append(
        {
          actor: SYSTEM_ACTOR,
          action: 'role_binding.create',
          target: { type: 'role_binding', id: binding.id },
          after: binding,
          details: { reason: 'first start' },
        },
        trx,
      );
      return given === undefined || given === ''
        ? { created: true, user, generatedPassword: password }
        : { created: true, user };
    });
  }
}
