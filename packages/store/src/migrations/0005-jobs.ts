import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * The background job queue (feed syncs, imports, findings recomputes), in the same database so
 * that it works unchanged on PGlite and on PostgreSQL and a job is enqueued in the same
 * transaction as whatever asked for it.
 *
 * A job is `queued` (waiting, or waiting to be retried after `run_after`), `running` (claimed by
 * `locked_by` until `locked_until`, a lease the worker renews while it works), then `succeeded`
 * or `failed` (all attempts used). A worker that dies leaves its lease to expire; the next poll
 * of any worker puts the job back in the queue, so a crash never loses it.
 *
 * `singleton_key`: at most one queued or running job of a name per key (one feed sync at a
 * time, however many processes ask). `schedule_slot`: at most one job of a name per scheduled
 * run, whatever its state, so that several server processes ticking the same cron enqueue it
 * once.
 *
 * Frozen once released (takes `Kysely<unknown>`, as 0001 does).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('jobs')
    .addColumn('id', 'uuid', (col) => col.primaryKey())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('payload', 'jsonb', (col) => col.notNull())
    .addColumn('state', 'text', (col) =>
      col.notNull().check(sql`state in ('queued', 'running', 'succeeded', 'failed')`),
    )
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (col) => col.notNull().check(sql`max_attempts >= 1`))
    .addColumn('backoff_ms', 'integer', (col) => col.notNull().check(sql`backoff_ms >= 0`))
    .addColumn('run_after', 'timestamptz', (col) => col.notNull())
    .addColumn('singleton_key', 'text')
    .addColumn('schedule_slot', 'text')
    .addColumn('locked_by', 'text')
    .addColumn('locked_until', 'timestamptz')
    .addColumn('result', 'jsonb')
    .addColumn('error', 'text')
    .addColumn('created_by', 'text', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull())
    .addColumn('started_at', 'timestamptz')
    .addColumn('finished_at', 'timestamptz')
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull())
    .execute();

  // Claiming: the oldest due queued job of the names a worker handles.
  await sql`create index jobs_due on jobs (run_after) where state = 'queued'`.execute(db);
  // Reclaiming: running jobs whose lease ran out.
  await sql`create index jobs_leases on jobs (locked_until) where state = 'running'`.execute(db);
  await sql`create index jobs_recent on jobs (created_at desc, id desc)`.execute(db);
  await sql`create index jobs_by_name on jobs (name, created_at desc)`.execute(db);
  await sql`create unique index jobs_singleton on jobs (name, singleton_key)
    where singleton_key is not null and state in ('queued', 'running')`.execute(db);
  await sql`create unique index jobs_schedule_slot on jobs (name, schedule_slot)
    where schedule_slot is not null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('jobs').execute();
}
