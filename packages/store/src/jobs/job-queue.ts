import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Transaction } from 'kysely';
import { pwError } from '@patchwarden/core';
import { AuditLog } from '../audit/audit-log.ts';
import type { AuditActor } from '../audit/audit-entry.ts';
import type { JsonValue } from '../audit/canonical-json.ts';
import type { Database } from '../database/open-database.ts';
import type { Schema } from '../schema/schema.ts';
import { jsonbParam } from '../sql/jsonb-param.ts';
import { textArrayParam } from '../sql/text-array-param.ts';
import type {
  EnqueueInput,
  EnqueueResult,
  Job,
  JobFilter,
  JobPage,
  JobPageRequest,
  JobState,
} from './job-types.ts';
import { JOB_STATES } from './job-types.ts';

type Tx = Transaction<Schema>;

interface JobRow {
  id: string;
  name: string;
  payload: JsonValue;
  state: JobState;
  attempts: number;
  max_attempts: number;
  backoff_ms: number;
  run_after: Date;
  singleton_key: string | null;
  schedule_slot: string | null;
  locked_by: string | null;
  locked_until: Date | null;
  result: JsonValue | null;
  error: string | null;
  created_by: string;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  updated_at: Date;
}

const NAME = /^[a-z][a-z0-9._-]{0,99}$/;
const DEFAULT_PAGE = 50;
const MAX_PAGE = 500;
/** A retry never waits longer than this, however many attempts came before. */
const MAX_BACKOFF_MS = 6 * 60 * 60 * 1000;
/** Error texts are kept whole up to this length: enough for a message and its location. */
const MAX_ERROR = 4000;

function jobOf(row: JobRow): Job {
  const iso = (date: Date | null): string | undefined => (date === null ? undefined : date.toISOString());
  const job: Job = {
    id: row.id,
    name: row.name,
    payload: row.payload,
    state: row.state,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    backoffMs: row.backoff_ms,
    runAfter: row.run_after.toISOString(),
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
  const optional: Partial<Job> = {
    singletonKey: row.singleton_key ?? undefined,
    scheduleSlot: row.schedule_slot ?? undefined,
    lockedBy: row.locked_by ?? undefined,
    lockedUntil: iso(row.locked_until),
    result: row.result ?? undefined,
    error: row.error ?? undefined,
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) (job as unknown as Record<string, unknown>)[key] = value;
  }
  return job;
}

function wholeNumber(value: number | undefined, fallback: number, field: string, min: number): number {
  const chosen = value ?? fallback;
  if (!Number.isInteger(chosen) || chosen < min || chosen > 2_147_483_647) {
    throw pwError('PW_ERR_VALIDATION', `${field} must be a whole number >= ${min}, not ${chosen}`, {
      field,
    });
  }
  return chosen;
}

function workerActor(workerId: string): AuditActor {
  return { kind: 'system', id: workerId, name: 'job worker' };
}

function actorName(actor: AuditActor): string {
  return actor.kind === 'system'
    ? `system:${actor.name ?? 'patchwarden'}`
    : `${actor.kind}:${actor.name ?? actor.id}`;
}

function encodeCursor(job: Job): string {
  return Buffer.from(`${job.createdAt}|${job.id}`).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: string; id: string } {
  const [createdAt, id, extra] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (extra !== undefined || !id || !createdAt || Number.isNaN(Date.parse(createdAt))) {
    throw pwError('PW_ERR_VALIDATION', 'cursor is not one this server handed out', { field: 'cursor' });
  }
  return { createdAt, id };
}

/**
 * The job queue on the store's own database, on PGlite and PostgreSQL alike. Claims use
 * `FOR UPDATE SKIP LOCKED`, so concurrent workers (in one process or many) each get a different
 * job and never the same one twice; a claim is a lease that the worker renews while it works, and
 * a job whose lease runs out goes back to the queue (`reclaimExpired`). Every state change is
 * appended to the audit log in the transaction that makes it.
 *
 * Times come from the database clock (`now()`), never the callers', so that several server
 * processes on one PostgreSQL agree on when a lease ran out.
 */
export class JobQueue {
  readonly #database: Database;
  readonly #audit: AuditLog;

  constructor(database: Database, audit: AuditLog = new AuditLog(database)) {
    this.#database = database;
    this.#audit = audit;
  }

  /** Adds a job, or returns the job already holding its singleton key or schedule slot. */
  async enqueue(input: EnqueueInput, actor: AuditActor): Promise<EnqueueResult> {
    if (typeof input.name !== 'string' || !NAME.test(input.name)) {
      throw pwError(
        'PW_ERR_VALIDATION',
        `name must be lower-case letters, digits, '.', '_' or '-' (starting with a letter), not ${JSON.stringify(input.name)}`,
        { field: 'name' },
      );
    }
    const maxAttempts = wholeNumber(input.maxAttempts, 3, 'maxAttempts', 1);
    const backoffMs = wholeNumber(input.backoffMs, 30_000, 'backoffMs', 0);
    if (input.runAfter !== undefined && Number.isNaN(input.runAfter.getTime())) {
      throw pwError('PW_ERR_VALIDATION', 'runAfter must be a valid date', { field: 'runAfter' });
    }
    const runAfter =
      input.runAfter === undefined ? sql`now()` : sql`${input.runAfter.toISOString()}::timestamptz`;
    // Two enqueuers may race for one key: the loser's insert does nothing, and the job it lost
    // to may finish before it looks, so it tries again (a few times at most).
    for (let attempt = 0; attempt < 5; attempt++) {
      const outcome = await this.#database.transaction(async (trx) => {
        const { rows } = await sql<JobRow>`
          insert into jobs (id, name, payload, state, attempts, max_attempts, backoff_ms, run_after,
                            singleton_key, schedule_slot, created_by, created_at, updated_at)
          values (${randomUUID()}, ${input.name}, ${jsonbParam(input.payload ?? {})}, 'queued', 0,
                  ${maxAttempts}, ${backoffMs}, ${runAfter}, ${input.singletonKey ?? null},
                  ${input.scheduleSlot ?? null}, ${actorName(actor)},
                  -- millisecond precision, so that list cursors (RFC 3339 in ms) compare exactly
                  date_trunc('milliseconds', now()), now())
          on conflict do nothing
          returning *`.execute(trx);
        const created = rows[0];
        if (created !== undefined) {
          const job = jobOf(created);
          await this.#audit.append(
            {
              actor,
              action: 'job.enqueue',
              target: { type: 'job', id: job.id },
              after: { name: job.name, state: job.state, payload: job.payload },
            },
            trx,
          );
          return { job, created: true };
        }
        const { rows: holders } = await sql<JobRow>`
          select * from jobs
          where name = ${input.name}
            and ((singleton_key = ${input.singletonKey ?? null} and state in ('queued', 'running'))
                 or schedule_slot = ${input.scheduleSlot ?? null})
          order by created_at desc limit 1`.execute(trx);
        return holders[0] === undefined ? undefined : { job: jobOf(holders[0]), created: false };
      });
      if (outcome !== undefined) return outcome;
    }
    throw pwError(
      'PW_ERR_CONFLICT',
      `Could not enqueue ${input.name}: its singleton key kept changing hands`,
      {
        field: 'singletonKey',
      },
    );
  }

  async get(id: string): Promise<Job | undefined> {
    // A malformed id is simply not found (the column is a uuid and would refuse the cast).
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return undefined;
    const { rows } = await sql<JobRow>`select * from jobs where id = ${id}`.execute(this.#database.db);
    return rows[0] === undefined ? undefined : jobOf(rows[0]);
  }

  /** Newest first, filtered by name and state, a page at a time. */
  async list(filter: JobFilter = {}, page: JobPageRequest = {}): Promise<JobPage> {
    const limit = wholeNumber(page.limit, DEFAULT_PAGE, 'limit', 1);
    if (limit > MAX_PAGE) {
      throw pwError('PW_ERR_VALIDATION', `limit must be at most ${MAX_PAGE}`, { field: 'limit' });
    }
    if (filter.state !== undefined && !(JOB_STATES as readonly string[]).includes(filter.state)) {
      throw pwError('PW_ERR_VALIDATION', `state must be one of ${JOB_STATES.join(', ')}`, { field: 'state' });
    }
    const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
    const { rows } = await sql<JobRow>`
      select * from jobs
      where (${filter.name ?? null}::text is null or name = ${filter.name ?? null})
        and (${filter.state ?? null}::text is null or state = ${filter.state ?? null})
        and (${after?.createdAt ?? null}::timestamptz is null
             or (created_at, id) < (${after?.createdAt ?? null}::timestamptz, ${after?.id ?? null}::uuid))
      order by created_at desc, id desc
      limit ${limit + 1}`.execute(this.#database.db);
    const items = rows.slice(0, limit).map(jobOf);
    return rows.length > limit ? { items, nextCursor: encodeCursor(items.at(-1)!) } : { items };
  }

  /**
   * Takes the oldest due queued job among `names` for `workerId`, leased for `leaseMs`; undefined
   * when none is due. Concurrent claimers skip each other's rows instead of waiting on them.
   */
  async claim(names: readonly string[], workerId: string, leaseMs: number): Promise<Job | undefined> {
    if (names.length === 0) return undefined;
    const lease = wholeNumber(leaseMs, 0, 'leaseMs', 1);
    return this.#database.transaction(async (trx) => {
      const { rows } = await sql<JobRow>`
        update jobs set state = 'running', attempts = attempts + 1, locked_by = ${workerId},
                        locked_until = now() + ${lease} * interval '1 millisecond',
                        started_at = now(), finished_at = null, updated_at = now()
        where id = (select id from jobs
                    where state = 'queued' and run_after <= now()
                      and name = any(${textArrayParam(names)})
                    order by run_after, created_at, id
                    limit 1
                    for update skip locked)
        returning *`.execute(trx);
      if (rows[0] === undefined) return undefined;
      const job = jobOf(rows[0]);
      await this.#transition(trx, job, 'job.start', workerId, { attempt: job.attempts });
      return job;
    });
  }

  /** Extends the lease; false when the job is no longer this worker's (its lease ran out). */
  async heartbeat(id: string, workerId: string, leaseMs: number): Promise<boolean> {
    const lease = wholeNumber(leaseMs, 0, 'leaseMs', 1);
    const result = await sql`
      update jobs set locked_until = now() + ${lease} * interval '1 millisecond', updated_at = now()
      where id = ${id} and state = 'running' and locked_by = ${workerId}`.execute(this.#database.db);
    return Number(result.numAffectedRows ?? 0) > 0;
  }

  /** Marks the job done with `result`; undefined when the job is no longer this worker's. */
  async complete(id: string, workerId: string, result: JsonValue): Promise<Job | undefined> {
    return this.#database.transaction(async (trx) => {
      const { rows } = await sql<JobRow>`
        update jobs set state = 'succeeded', result = ${jsonbParam(result)}, error = null,
                        locked_by = null, locked_until = null, finished_at = now(), updated_at = now()
        where id = ${id} and state = 'running' and locked_by = ${workerId}
        returning *`.execute(trx);
      if (rows[0] === undefined) return undefined;
      const job = jobOf(rows[0]);
      await this.#transition(trx, job, 'job.succeed', workerId, { attempt: job.attempts });
      return job;
    });
  }

  /**
   * Records a failed attempt: the job waits `backoffMs * 2^(attempts-1)` and is retried while
   * attempts remain (and `retry` is not false), else it fails for good. `result` keeps what the
   * attempt did manage (per-feed outcomes). Undefined when the job is no longer this worker's.
   */
  async fail(
    id: string,
    workerId: string,
    error: string,
    options: { retry?: boolean; result?: JsonValue } = {},
  ): Promise<Job | undefined> {
    const retry = options.retry !== false;
    const message = error.length > MAX_ERROR ? `${error.slice(0, MAX_ERROR)}…` : error;
    return this.#database.transaction(async (trx) => {
      const { rows } = await sql<JobRow>`
        update jobs set
          state = case when ${retry} and attempts < max_attempts then 'queued' else 'failed' end,
          run_after = case when ${retry} and attempts < max_attempts
            then now() + least(backoff_ms * power(2, attempts - 1), ${MAX_BACKOFF_MS}) * interval '1 millisecond'
            else run_after end,
          finished_at = case when ${retry} and attempts < max_attempts then null else now() end,
          error = ${message}, result = ${options.result === undefined ? null : jsonbParam(options.result)},
          locked_by = null, locked_until = null, updated_at = now()
        where id = ${id} and state = 'running' and locked_by = ${workerId}
        returning *`.execute(trx);
      if (rows[0] === undefined) return undefined;
      const job = jobOf(rows[0]);
      await this.#transition(trx, job, job.state === 'queued' ? 'job.retry' : 'job.fail', workerId, {
        attempt: job.attempts,
        error: message,
        ...(job.state === 'queued' ? { retryAt: job.runAfter } : {}),
      });
      return job;
    });
  }

  /**
   * Gives a running job back to the queue without counting the attempt: the worker is stopping
   * and did not finish it. Undefined when the job is no longer this worker's.
   */
  async release(id: string, workerId: string, reason: string): Promise<Job | undefined> {
    return this.#database.transaction(async (trx) => {
      const { rows } = await sql<JobRow>`
        update jobs set state = 'queued', attempts = greatest(attempts - 1, 0), run_after = now(),
                        locked_by = null, locked_until = null, updated_at = now()
        where id = ${id} and state = 'running' and locked_by = ${workerId}
        returning *`.execute(trx);
      if (rows[0] === undefined) return undefined;
      const job = jobOf(rows[0]);
      await this.#transition(trx, job, 'job.release', workerId, { reason });
      return job;
    });
  }

  /**
   * Puts back in the queue every running job whose lease ran out (its worker died or hung), or
   * fails it when it has used all its attempts. With `includeLive`, every running job is taken,
   * lease or not: for an embedded store, which one process owns, at that process's start.
   */
  async reclaimExpired(workerId: string, options: { includeLive?: boolean } = {}): Promise<Job[]> {
    const live = options.includeLive === true;
    return this.#database.transaction(async (trx) => {
      const { rows } = await sql<JobRow>`
        update jobs set
          state = case when attempts >= max_attempts then 'failed' else 'queued' end,
          finished_at = case when attempts >= max_attempts then now() else null end,
          error = 'worker ' || coalesce(locked_by, '?') || ' stopped before finishing attempt ' || attempts
                  || ' (its lease ran out or its process ended)',
          run_after = now(), locked_by = null, locked_until = null, updated_at = now()
        where id in (select id from jobs
                     where state = 'running' and (${live} or locked_until < now())
                     for update skip locked)
        returning *`.execute(trx);
      const jobs = rows.map(jobOf);
      for (const job of jobs) {
        await this.#transition(trx, job, 'job.reclaim', workerId, {
          error: job.error ?? null,
          attempt: job.attempts,
        });
      }
      return jobs;
    });
  }

  /**
   * Deletes finished jobs (succeeded or failed) that finished more than `retentionDays` ago. The
   * audit log keeps each job's history (enqueue, start, end), so nothing auditable is lost; the
   * deletion itself is audited with its count.
   */
  async prune(retentionDays: number, workerId: string): Promise<number> {
    const days = wholeNumber(retentionDays, retentionDays, 'retentionDays', 1);
    return this.#database.transaction(async (trx) => {
      const { rows } = await sql<{ id: string }>`
        delete from jobs
        where state in ('succeeded', 'failed') and finished_at < now() - make_interval(days => ${days})
        returning id`.execute(trx);
      if (rows.length > 0) {
        await this.#audit.append(
          {
            actor: workerActor(workerId),
            action: 'job.prune',
            target: { type: 'jobs', id: 'finished' },
            details: { deleted: rows.length, retentionDays: days },
          },
          trx,
        );
      }
      return rows.length;
    });
  }

  async #transition(
    trx: Tx,
    job: Job,
    action: string,
    workerId: string,
    details: Record<string, JsonValue>,
  ): Promise<void> {
    await this.#audit.append(
      {
        actor: workerActor(workerId),
        action,
        target: { type: 'job', id: job.id },
        after: { name: job.name, state: job.state, attempts: job.attempts },
        details,
      },
      trx,
    );
  }
}
