import { sql } from 'kysely';
import type { Kysely, Selectable, SelectQueryBuilder, Transaction } from 'kysely';
import { pwError } from '@patchwarden/core';
import type { Database } from '../database/open-database.ts';
import { PREPARED } from '../database/auto-prepare.ts';
import { isUniqueViolation } from '../database/pg-errors.ts';
import type { AuditLogTable } from '../schema/auth-schema.ts';
import type { Schema } from '../schema/schema.ts';
import { jsonbText } from '../sql/jsonb-param.ts';
import { csvHeader, csvRow } from './audit-csv.ts';
import { entryFromRow, entryHash, GENESIS_HASH, sealEntry } from './audit-entry.ts';
import type { AuditActorKind, AuditEntry, AuditEntryInput } from './audit-entry.ts';
import type { JsonValue } from './canonical-json.ts';

/**
 * Transaction-scoped advisory lock taken by every append: appenders queue on it, so each reads the
 * head written by the one before and the chain never forks. It is held until the caller's
 * transaction ends, so append late in long transactions.
 */
const APPEND_LOCK = sql`hashtextextended('patchwarden:audit-log', 0)`;

const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;
const BATCH = 1000;

export interface AuditFilter {
  /** Matches the actor's id or name exactly. */
  actor?: string;
  actorKind?: AuditActorKind;
  /** An exact action, or a prefix ending in `*` (`user.*`). */
  action?: string;
  targetType?: string;
  targetId?: string;
  /** Inclusive. */
  from?: Date | string;
  /** Exclusive. */
  to?: Date | string;
}

export interface AuditPageRequest {
  /** Entries per page (default 100, at most 1000). */
  limit?: number;
  /** The `nextBeforeSeq` of the previous page. */
  beforeSeq?: number;
}

export interface AuditPage {
  /** Newest first. */
  entries: AuditEntry[];
  /** Present when older entries match: pass it as `beforeSeq` for the next page. */
  nextBeforeSeq?: number;
}

export interface AuditHead {
  seq: number;
  hash: string;
}

export interface AuditVerification {
  ok: boolean;
  /** Entries whose hash was recomputed. */
  checked: number;
  /** The first sequence number that is missing, out of place or does not match its hash. */
  firstBadSeq?: number;
  reason?: string;
  /** The last entry: record it elsewhere and pass it as `expectedHead` to detect truncation. */
  head?: AuditHead;
}

export interface VerifyOptions {
  /** A head recorded earlier; the log must still contain that entry with that hash. */
  expectedHead?: AuditHead;
}

export type AuditExportFormat = 'json' | 'csv';

export interface BatchOptions {
  /** Entries per round trip (default 1000): memory holds one batch. */
  batchSize?: number;
}

export interface AuditLogOptions {
  clock?: () => Date;
}

type Tx = Transaction<Schema>;
type AuditQuery = SelectQueryBuilder<Schema, 'audit_log', Selectable<AuditLogTable>>;

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

/** Appends written by one group commit at most (one statement's rows). */
const MAX_GROUP = 200;

interface QueuedAppend {
  input: AuditEntryInput;
  resolve: (entry: AuditEntry) => void;
  reject: (error: Error) => void;
}

function requireAction(input: AuditEntryInput): void {
  if (input.action.trim() === '')
    throw pwError('PW_ERR_VALIDATION', 'An audit action is required', { field: 'action' });
}

function jsonColumn(value: JsonValue) {
  return value === null ? null : jsonbText<string>(JSON.stringify(value));
}

/** An entry as its audit_log row (JSON columns as their values; JSON null is SQL null). */
function rowOf(entry: AuditEntry) {
  return {
    seq: entry.seq,
    at: entry.at,
    actor_kind: entry.actor.kind,
    actor_id: entry.actor.id,
    actor_name: entry.actor.name,
    action: entry.action,
    target_type: entry.target.type,
    target_id: entry.target.id,
    before: entry.before,
    after: entry.after,
    details: entry.details,
    prev_hash: entry.prevHash,
    hash: entry.hash,
  };
}

function headOf(entries: readonly AuditEntry[]): AuditHead | undefined {
  const last = entries.at(-1);
  return last === undefined ? undefined : { seq: last.seq, hash: last.hash };
}

/**
 * The append-only, hash-chained audit log. Each entry's hash covers its content and the previous
 * entry's hash, so editing, deleting or reordering any entry breaks every hash after it. Append
 * inside the transaction that makes the change, so that the change and its record commit together.
 */
export class AuditLog {
  readonly #db: Kysely<Schema>;
  readonly #database: Database;
  readonly #clock: () => Date;
  readonly #queued: QueuedAppend[] = [];
  #flushing = false;
  /** The newest entry this process's group commits wrote, while it may still be the log's head. */
  #knownHead: AuditHead | undefined;

  constructor(database: Database, options: AuditLogOptions = {}) {
    this.#database = database;
    this.#db = database.db;
    this.#clock = options.clock ?? (() => new Date());
  }

  /**
   * Appends one entry: inside `trx` when given (the change and its record commit together), else
   * in a transaction of its own, shared with the appends queued meanwhile (see #flush).
   */
  append(input: AuditEntryInput, trx?: Tx): Promise<AuditEntry> {
    try {
      requireAction(input);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    if (trx !== undefined) return this.#appendAll([input], trx).then(([entry]) => entry!);
    return new Promise((resolve, reject) => {
      this.#queued.push({ input, resolve, reject });
      if (!this.#flushing) void this.#flush();
    });
  }

  /**
   * Group commit: appends outside a transaction that arrive while one is being written wait and
   * are written together, under one lock, one read of the head and one commit. Every append is a
   * turn of the fleet-wide lock plus a commit (a disk flush); one per request capped busy servers
   * at a few hundred audited changes per second, whatever their cores. A caller's promise settles
   * once its entry is committed, exactly as before: nothing is acknowledged earlier.
   */
  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      while (this.#queued.length > 0) {
        const group = this.#queued.splice(0, MAX_GROUP);
        try {
          const entries = await this.#appendGroup(group.map(({ input }) => input));
          group.forEach(({ resolve }, i) => resolve(entries[i]!));
        } catch (error) {
          // The group rolled back: none of its entries exists. One bad entry must not fail the
          // others, so each is tried again on its own and its caller hears its own outcome.
          if (group.length === 1) group[0]!.reject(error as Error);
          else await this.#appendEachAlone(group);
        }
      }
    } finally {
      this.#flushing = false;
    }
  }

  async #appendEachAlone(group: readonly QueuedAppend[]): Promise<void> {
    for (const { input, resolve, reject } of group) {
      try {
        resolve((await this.#appendGroup([input]))[0]!);
      } catch (error) {
        reject(error as Error);
      }
    }
  }

  /**
   * A group of appends in a transaction of their own. When this process wrote the last head it
   * knows, the group is first tried in one statement that checks that head is still the log's
   * (#appendAfterHead: one round trip instead of five); otherwise, or when another writer got in
   * first, under the lock in a transaction that reads the head.
   */
  async #appendGroup(inputs: readonly AuditEntryInput[]): Promise<AuditEntry[]> {
    const head = this.#knownHead;
    this.#knownHead = undefined;
    if (head !== undefined) {
      const entries = this.#seal(inputs, head);
      if (await this.#appendAfterHead(entries, head)) {
        this.#knownHead = headOf(entries);
        return entries;
      }
    }
    const entries = await this.#database.transaction((trx) => this.#appendAll(inputs, trx));
    this.#knownHead = headOf(entries);
    return entries;
  }

  /**
   * Writes `entries` (sealed after `head`) when `head` is still the newest entry, in one statement
   * that takes the append lock (so it never races an append inside a caller's transaction, which
   * holds the lock to its commit). Its snapshot may predate the last commit made under the lock:
   * then the newest entry it sees is older than the log's, and inserting the next number breaks
   * the primary key on `seq` instead of forking the chain. False when nothing was written.
   */
  async #appendAfterHead(entries: readonly AuditEntry[], head: AuditHead): Promise<boolean> {
    try {
      const result = await sql`
        ${sql.raw(PREPARED)}
        insert into audit_log (seq, at, actor_kind, actor_id, actor_name, action, target_type, target_id,
          before, after, details, prev_hash, hash)
        select r.seq, r.at, r.actor_kind, r.actor_id, r.actor_name, r.action, r.target_type, r.target_id,
          r.before, r.after, r.details, r.prev_hash, r.hash
        from (select pg_advisory_xact_lock(${APPEND_LOCK})) as locked
        cross join (select seq, hash from audit_log order by seq desc limit 1) as newest
        cross join jsonb_to_recordset(${jsonbText(JSON.stringify(entries.map(rowOf)))}) as r(
          seq bigint, at timestamptz, actor_kind text, actor_id text, actor_name text, action text,
          target_type text, target_id text, before jsonb, after jsonb, details jsonb, prev_hash text,
          hash text)
        where newest.seq = ${head.seq} and newest.hash = ${head.hash}`.execute(this.#db);
      const written = Number(result.numAffectedRows ?? 0n);
      if (written !== 0 && written !== entries.length)
        throw new Error(`the audit log wrote ${written} of ${entries.length} entries`);
      return written === entries.length;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  #seal(inputs: readonly AuditEntryInput[], head: AuditHead | undefined): AuditEntry[] {
    let seq = head?.seq ?? 0;
    let prevHash = head?.hash ?? GENESIS_HASH;
    return inputs.map((input) => {
      const entry = sealEntry(input, ++seq, this.#clock(), prevHash);
      prevHash = entry.hash;
      return entry;
    });
  }

  async #appendAll(inputs: readonly AuditEntryInput[], trx: Tx): Promise<AuditEntry[]> {
    await sql`select pg_advisory_xact_lock(${APPEND_LOCK})`.execute(trx);
    const head = await trx
      .selectFrom('audit_log')
      .modifyFront(sql.raw(PREPARED))
      .select(['seq', 'hash'])
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    const entries = this.#seal(inputs, head);
    await trx
      .insertInto('audit_log')
      .values(
        entries.map((entry) => {
          const row = rowOf(entry);
          return {
            ...row,
            before: jsonColumn(entry.before),
            after: jsonColumn(entry.after),
            details: jsonColumn(entry.details),
          };
        }),
      )
      .execute();
    return entries;
  }

  async head(): Promise<AuditHead | undefined> {
    return this.#db
      .selectFrom('audit_log')
      .select(['seq', 'hash'])
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  /**
   * Recomputes every hash in order. Reports the first entry that is missing (a gap in the
   * numbering), whose `prev_hash` is not its predecessor's hash, or whose content does not match
   * its hash. Deleting the newest entries leaves a valid shorter chain: compare with a head kept
   * elsewhere (`expectedHead`) to detect that.
   */
  async verify(options: VerifyOptions & BatchOptions = {}): Promise<AuditVerification> {
    let checked = 0;
    let expectedSeq = 1;
    let prevHash = GENESIS_HASH;
    let head: AuditHead | undefined;
    let headSeen = false;
    const bad = (seq: number, reason: string): AuditVerification => ({
      ok: false,
      checked,
      firstBadSeq: seq,
      reason,
      ...(head ? { head } : {}),
    });

    for await (const batch of this.#batches(
      this.#db.selectFrom('audit_log').selectAll(),
      options.batchSize,
    )) {
      for (const entry of batch) {
        if (entry.seq !== expectedSeq) return bad(expectedSeq, `entry ${expectedSeq} is missing`);
        if (entry.prevHash !== prevHash)
          return bad(entry.seq, `entry ${entry.seq} does not follow entry ${entry.seq - 1}`);
        const { hash, ...unsealed } = entry;
        checked++;
        if (entryHash(unsealed) !== hash) return bad(entry.seq, `entry ${entry.seq} does not match its hash`);
        if (options.expectedHead?.seq === entry.seq) {
          if (options.expectedHead.hash !== hash) {
            return bad(entry.seq, `entry ${entry.seq} is not the one recorded as the head`);
          }
          headSeen = true;
        }
        head = { seq: entry.seq, hash };
        prevHash = hash;
        expectedSeq++;
      }
    }
    if (options.expectedHead !== undefined && !headSeen) {
      return bad(
        expectedSeq,
        `the log ends at entry ${expectedSeq - 1}, before the recorded head ${options.expectedHead.seq}`,
      );
    }
    return { ok: true, checked, ...(head ? { head } : {}) };
  }

  /** Matching entries, newest first, one page at a time (keyset on `seq`). */
  async query(filter: AuditFilter = {}, page: AuditPageRequest = {}): Promise<AuditPage> {
    const limit = Math.min(Math.max(Math.trunc(page.limit ?? DEFAULT_PAGE), 1), MAX_PAGE);
    let query = this.#filtered(filter);
    if (page.beforeSeq !== undefined) query = query.where('seq', '<', page.beforeSeq);
    const rows = await query
      .orderBy('seq', 'desc')
      .limit(limit + 1)
      .execute();
    const entries = rows.slice(0, limit).map(entryFromRow);
    const last = entries.at(-1);
    return rows.length > limit && last ? { entries, nextBeforeSeq: last.seq } : { entries };
  }

  /**
   * The matching entries, oldest first, as text chunks of one format: a JSON array or CSV with a
   * header. Streams in batches, so memory stays bounded whatever the size of the log.
   */
  async *export(
    format: AuditExportFormat,
    filter: AuditFilter = {},
    options: BatchOptions = {},
  ): AsyncGenerator<string> {
    if (format !== 'json' && format !== 'csv') {
      throw pwError('PW_ERR_VALIDATION', `Unknown export format ${String(format)} (json or csv)`, {
        field: 'format',
      });
    }
    let first = true;
    yield format === 'csv' ? csvHeader() : '[';
    for await (const batch of this.#batches(this.#filtered(filter), options.batchSize)) {
      if (format === 'csv') {
        yield batch.map(csvRow).join('');
      } else {
        yield batch
          .map((entry) => {
            const separator = first ? '\n' : ',\n';
            first = false;
            return separator + JSON.stringify(entry);
          })
          .join('');
      }
    }
    if (format === 'json') yield '\n]\n';
  }

  #filtered(filter: AuditFilter): AuditQuery {
    let query = this.#db.selectFrom('audit_log').selectAll();
    if (filter.actor !== undefined) {
      const actor = filter.actor;
      query = query.where((eb) => eb.or([eb('actor_id', '=', actor), eb('actor_name', '=', actor)]));
    }
    if (filter.actorKind !== undefined) query = query.where('actor_kind', '=', filter.actorKind);
    if (filter.action !== undefined) {
      query = filter.action.endsWith('*')
        ? query.where(sql<boolean>`action like ${`${escapeLike(filter.action.slice(0, -1))}%`}`)
        : query.where('action', '=', filter.action);
    }
    if (filter.targetType !== undefined) query = query.where('target_type', '=', filter.targetType);
    if (filter.targetId !== undefined) query = query.where('target_id', '=', filter.targetId);
    if (filter.from !== undefined) query = query.where('at', '>=', toDate(filter.from, 'from'));
    if (filter.to !== undefined) query = query.where('at', '<', toDate(filter.to, 'to'));
    return query;
  }

  async *#batches(query: AuditQuery, batchSize = BATCH): AsyncGenerator<AuditEntry[]> {
    const size = Math.max(1, Math.trunc(batchSize));
    let after = 0;
    while (true) {
      const rows = await query.where('seq', '>', after).orderBy('seq', 'asc').limit(size).execute();
      if (rows.length === 0) return;
      yield rows.map(entryFromRow);
      after = rows.at(-1)!.seq;
      if (rows.length < size) return;
    }
  }
}

function toDate(value: Date | string, field: string): Date {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw pwError('PW_ERR_VALIDATION', `${field} is not a valid date: ${String(value)}`, { field });
  }
  return date;
}
