import { sql } from 'kysely';
import type { Selectable, Transaction } from 'kysely';
import type { PatchType, PatchTypeOverride, PolicyDocument } from '@patchwarden/core';
import { DEFAULT_POLICY, PATCH_TYPES, parsePolicyYaml, policyToYaml, pwError } from '@patchwarden/core';
import type { AuditActor } from '../audit/audit-entry.ts';
import { AuditLog } from '../audit/audit-log.ts';
import type { Database } from '../database/open-database.ts';
import type { PatchTypeOverridesTable, PolicyVersionsTable } from '../schema/policy-schema.ts';
import type { Schema } from '../schema/schema.ts';
import { jsonbParam } from '../sql/jsonb-param.ts';

type Tx = Transaction<Schema>;

/** Serialises policy applies, so that each one's "before" version is the one it replaced. */
const APPLY_LOCK = 0x70_6f_6c_69; // 'poli'

/** One saved version of the policy. */
export interface PolicyVersion {
  version: number;
  /** The YAML text as applied (comments kept). */
  yaml: string;
  /** The parsed document; `metadata.revision` is the version number. */
  document: PolicyDocument;
  createdAt: string;
  createdBy: string;
  comment?: string;
}

/** The current policy: a saved version, or the built-in default when none was ever applied. */
export type CurrentPolicy =
  PolicyVersion | { version: 0; yaml: string; document: PolicyDocument; default: true };

export type PolicyVersionSummary = Omit<PolicyVersion, 'yaml' | 'document'> & { name: string };

/** A person's classification of one patch (ecosystem, source package, fixed version). */
export interface StoredTypeOverride extends PatchTypeOverride {
  ecosystem: string;
  package: string;
  fixedVersion: string;
}

export interface NewTypeOverride {
  ecosystem: string;
  package: string;
  fixedVersion: string;
  type: PatchType;
  reason: string;
}

export interface PolicyRepositoryOptions {
  clock?: () => Date;
}

function actorName(actor: AuditActor): string {
  return actor.name ?? actor.id ?? actor.kind;
}

function toVersion(row: Selectable<PolicyVersionsTable>): PolicyVersion {
  return {
    version: row.version,
    yaml: row.yaml,
    document: row.document,
    createdAt: row.created_at.toISOString(),
    createdBy: row.created_by,
    ...(row.comment === null ? {} : { comment: row.comment }),
  };
}

function toOverride(row: Selectable<PatchTypeOverridesTable>): StoredTypeOverride {
  return {
    ecosystem: row.ecosystem,
    package: row.package,
    fixedVersion: row.fixed_version,
    type: row.type,
    reason: row.reason,
    by: row.by,
    at: row.at.toISOString(),
  };
}

function required(value: string, field: string): string {
  const trimmed = value.trim();
  if (trimmed === '') throw pwError('PW_ERR_VALIDATION', `${field} must not be empty`, { field });
  return trimmed;
}

/**
 * Versioned patch policies with their history, and patch-type overrides. Every change is one
 * transaction with its audit entry: the change and its record commit together or not at all.
 */
export class PolicyRepository {
  readonly #database: Database;
  readonly #audit: AuditLog;
  readonly #clock: () => Date;

  constructor(database: Database, options: PolicyRepositoryOptions = {}) {
    this.#database = database;
    this.#clock = options.clock ?? (() => new Date());
    this.#audit = new AuditLog(database, { clock: this.#clock });
  }

  /** The latest version, or the built-in DEFAULT_POLICY (version 0) when none was applied. */
  async current(): Promise<CurrentPolicy> {
    const row = await this.#database.db
      .selectFrom('policy_versions')
      .selectAll()
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (row) return toVersion(row);
    return { version: 0, yaml: policyToYaml(DEFAULT_POLICY), document: DEFAULT_POLICY, default: true };
  }

  /**
   * Validates `yamlText` (as read from `file`, which error messages name) and stores it as the
   * next version. A policy with any error is refused as a whole and nothing is stored: the
   * PatchwardenError names the field path and line.
   */
  async apply(yamlText: string, file: string, actor: AuditActor, comment?: string): Promise<PolicyVersion> {
    parsePolicyYaml(yamlText, file); // refused before any transaction opens
    return this.#database.transaction(async (trx) => {
      await sql`select pg_advisory_xact_lock(${APPLY_LOCK})`.execute(trx);
      return this.#insert(trx, yamlText, file, actor, comment, 'policy.apply');
    });
  }

  /**
   * One edit of the current policy's YAML text (core policy-edits: add or renew an exception),
   * saved as the next version. The edit runs under the apply lock on the latest text, so two
   * people editing at once both land, one after the other. Starting from the built-in default
   * when no policy was applied yet.
   */
  async amend(
    edit: (yamlText: string, file: string) => string,
    actor: AuditActor,
    comment: string,
    action = 'policy.amend',
  ): Promise<PolicyVersion> {
    return this.#database.transaction(async (trx) => {
      await sql`select pg_advisory_xact_lock(${APPLY_LOCK})`.execute(trx);
      const latest = await trx
        .selectFrom('policy_versions')
        .select(['version', 'yaml'])
        .orderBy('version', 'desc')
        .limit(1)
        .executeTakeFirst();
      const file = latest ? `(policy version ${latest.version})` : '(built-in default policy)';
      const text = edit(latest?.yaml ?? policyToYaml(DEFAULT_POLICY), file);
      return this.#insert(trx, text, file, actor, comment, action);
    });
  }

  async #insert(
    trx: Tx,
    yamlText: string,
    file: string,
    actor: AuditActor,
    comment: string | undefined,
    action: string,
  ): Promise<PolicyVersion> {
    const parsed = parsePolicyYaml(yamlText, file);
    const note = comment?.trim() ? comment.trim() : undefined;
    const before = await this.#latestVersion(trx);
    const now = this.#clock();
    // The version number is known only after the insert; the stored document carries it.
    const inserted = await trx
      .insertInto('policy_versions')
      .values({
        yaml: yamlText,
        document: jsonbParam(parsed),
        created_at: now,
        created_by: actorName(actor),
        comment: note ?? null,
      })
      .returning('version')
      .executeTakeFirstOrThrow();
    const document: PolicyDocument = {
      ...parsed,
      metadata: { ...parsed.metadata, revision: inserted.version },
    };
    const row = await trx
      .updateTable('policy_versions')
      .set({ document: jsonbParam(document) })
      .where('version', '=', inserted.version)
      .returningAll()
      .executeTakeFirstOrThrow();
    await this.#audit.append(
      {
        actor,
        action,
        target: { type: 'policy', id: document.metadata.name },
        before: before === undefined ? null : { version: before },
        after: { version: row.version },
        details: { file, ...(note === undefined ? {} : { comment: note }) },
      },
      trx,
    );
    return toVersion(row);
  }

  async #latestVersion(trx: Tx): Promise<number | undefined> {
    const row = await trx
      .selectFrom('policy_versions')
      .select('version')
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row?.version;
  }

  /** Every version, newest first, without its text. */
  async versions(): Promise<PolicyVersionSummary[]> {
    const rows = await this.#database.db
      .selectFrom('policy_versions')
      .select([
        'version',
        'created_at',
        'created_by',
        'comment',
        sql<string>`document->'metadata'->>'name'`.as('name'),
      ])
      .orderBy('version', 'desc')
      .execute();
    return rows.map((row) => ({
      version: row.version,
      name: row.name,
      createdAt: row.created_at.toISOString(),
      createdBy: row.created_by,
      ...(row.comment === null ? {} : { comment: row.comment }),
    }));
  }

  async version(version: number): Promise<PolicyVersion | undefined> {
    if (!Number.isSafeInteger(version) || version < 1) return undefined;
    const row = await this.#database.db
      .selectFrom('policy_versions')
      .selectAll()
      .where('version', '=', version)
      .executeTakeFirst();
    return row ? toVersion(row) : undefined;
  }

  /** Records a person's classification of a patch (replacing an earlier one), audited. */
  async setTypeOverride(input: NewTypeOverride, actor: AuditActor): Promise<StoredTypeOverride> {
    if (!PATCH_TYPES.includes(input.type)) {
      throw pwError('PW_ERR_VALIDATION', `type must be one of ${PATCH_TYPES.join(', ')}`, { field: 'type' });
    }
    const values = {
      ecosystem: required(input.ecosystem, 'ecosystem'),
      package: required(input.package, 'package'),
      fixed_version: required(input.fixedVersion, 'fixedVersion'),
      type: input.type,
      reason: required(input.reason, 'reason'),
      by: actorName(actor),
      at: this.#clock(),
    };
    return this.#database.transaction(async (trx) => {
      const previous = await trx
        .selectFrom('patch_type_overrides')
        .selectAll()
        .where('ecosystem', '=', values.ecosystem)
        .where('package', '=', values.package)
        .where('fixed_version', '=', values.fixed_version)
        .forUpdate()
        .executeTakeFirst();
      const row = await trx
        .insertInto('patch_type_overrides')
        .values(values)
        .onConflict((oc) =>
          oc.columns(['ecosystem', 'package', 'fixed_version']).doUpdateSet({
            type: values.type,
            reason: values.reason,
            by: values.by,
            at: values.at,
          }),
        )
        .returningAll()
        .executeTakeFirstOrThrow();
      const stored = toOverride(row);
      await this.#audit.append(
        {
          actor,
          action: 'patch.type_override',
          target: { type: 'patch', id: `${stored.ecosystem}/${stored.package}@${stored.fixedVersion}` },
          before: previous ? toOverride(previous) : null,
          after: stored,
        },
        trx,
      );
      return stored;
    });
  }

  async typeOverrides(): Promise<StoredTypeOverride[]> {
    const rows = await this.#database.db
      .selectFrom('patch_type_overrides')
      .selectAll()
      .orderBy('ecosystem')
      .orderBy('package')
      .orderBy('fixed_version')
      .execute();
    return rows.map(toOverride);
  }
}
