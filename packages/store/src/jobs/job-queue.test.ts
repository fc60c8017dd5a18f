import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../audit/audit-log.ts';
import type { Database } from '../database/open-database.ts';
import { openDatabase } from '../database/open-database.ts';
import { BACKENDS, freshTarget } from '../testing/test-database.ts';
import type { TestTarget } from '../testing/test-database.ts';
import { JobQueue } from './job-queue.ts';
import type { Job } from './job-types.ts';

const ALICE = { kind: 'user', id: 'u-1', name: 'alice' } as const;

for (const backend of BACKENDS) {
  describe(`job queue on ${backend}`, () => {
    let target: TestTarget;
    let database: Database;
    /** A second handle on the same database: another server process, on PostgreSQL. */
    let other: Database;
    let queue: JobQueue;
    let audit: AuditLog;

    beforeAll(async () => {
      target = await freshTarget(backend);
      database = await openDatabase(target.options);
      // PGlite is one process's store: a second "process" shares the instance.
      other = backend === 'postgres' ? await openDatabase(target.options) : database;
      audit = new AuditLog(database);
      queue = new JobQueue(database, audit);
    }, 60_000);
    afterAll(async () => {
      if (other !== database) await other?.close();
      await database?.close();
      await target?.remove();
    });

    /** Takes every due job of `name` off the queue, so that tests do not see each other's. */
    const drain = async (name: string): Promise<void> => {
      for (
        let job = await queue.claim([name], 'drain', 60_000);
        job;
        job = await queue.claim([name], 'drain', 60_000)
      ) {
        await queue.complete(job.id, 'drain', {});
      }
    };

    it('enqueues with an audit entry, and reads the job back', async () => {
      const { job, created } = await queue.enqueue({ name: 'test.basic', payload: { paths: ['/x'] } }, ALICE);
      expect(created).toBe(true);
      expect(job).toMatchObject({
        name: 'test.basic',
        state: 'queued',
        attempts: 0,
        maxAttempts: 3,
        payload: { paths: ['/x'] },
        createdBy: 'user:alice',
      });
      expect(await queue.get(job.id)).toEqual(job);
      expect(await queue.get('not-a-uuid')).toBeUndefined();
      const entries = await audit.query({ action: 'job.enqueue', targetId: job.id });
      expect(entries.entries).toHaveLength(1);
      expect(entries.entries[0]).toMatchObject({ actor: { kind: 'user', name: 'alice' } });
      await expect(queue.enqueue({ name: 'Bad Name' }, ALICE)).rejects.toMatchObject({
        details: { field: 'name' },
      });
      await drain('test.basic');
    });

    it('keeps one queued or running job per singleton key, and one job per schedule slot', async () => {
      const first = await queue.enqueue({ name: 'test.single', singletonKey: 'feeds' }, ALICE);
      const second = await queue.enqueue({ name: 'test.single', singletonKey: 'feeds' }, ALICE);
      expect(second).toEqual({ job: first.job, created: false });
      const claimed = await queue.claim(['test.single'], 'w1', 60_000);
      expect(claimed?.id).toBe(first.job.id);
      // Still running: still the singleton.
      expect((await queue.enqueue({ name: 'test.single', singletonKey: 'feeds' }, ALICE)).created).toBe(
        false,
      );
      await queue.complete(first.job.id, 'w1', { ok: true });
      // Finished: the key is free again.
      const third = await queue.enqueue({ name: 'test.single', singletonKey: 'feeds' }, ALICE);
      expect(third.created).toBe(true);
      await drain('test.single');

      const slot = 'cron:2025-01-01T06:00:00.000Z';
      const a = await queue.enqueue({ name: 'test.slot', scheduleSlot: slot }, ALICE);
      await queue.claim(['test.slot'], 'w1', 60_000);
      await queue.complete(a.job.id, 'w1', {});
      // A second process ticking the same slot after the first finished: still only one job.
      const b = await new JobQueue(other).enqueue({ name: 'test.slot', scheduleSlot: slot }, ALICE);
      expect(b).toMatchObject({ created: false, job: { id: a.job.id, state: 'succeeded' } });
    });

    it('hands each job to exactly one of two concurrent workers', async () => {
      const ids = new Set<string>();
      for (let i = 0; i < 12; i++) ids.add((await queue.enqueue({ name: 'test.race' }, ALICE)).job.id);
      const queues = [new JobQueue(database), new JobQueue(other)];
      const taken: string[][] = [[], []];
      await Promise.all(
        queues.map(async (q, index) => {
          for (;;) {
            const job = await q.claim(['test.race'], `worker-${index}`, 60_000);
            if (job === undefined) return;
            taken[index]!.push(job.id);
            await sleep(1);
            expect(await q.complete(job.id, `worker-${index}`, { by: index })).toMatchObject({
              state: 'succeeded',
            });
          }
        }),
      );
      const all = [...taken[0]!, ...taken[1]!];
      expect(all).toHaveLength(12);
      expect(new Set(all)).toEqual(ids);
      for (const id of ids) expect(await queue.get(id)).toMatchObject({ state: 'succeeded', attempts: 1 });
    });

    it('retries a failed job after its backoff, then fails it for good when attempts run out', async () => {
      const slow = (await queue.enqueue({ name: 'test.backoff', backoffMs: 60_000 }, ALICE)).job;
      await queue.claim(['test.backoff'], 'w1', 60_000);
      const waiting = await queue.fail(slow.id, 'w1', 'feed server said 503');
      expect(waiting).toMatchObject({ state: 'queued', attempts: 1, error: 'feed server said 503' });
      const delay = Date.parse(waiting!.runAfter) - Date.parse(waiting!.updatedAt);
      expect(delay).toBeGreaterThanOrEqual(59_000);
      expect(delay).toBeLessThanOrEqual(61_000);
      // Not due before its backoff.
      expect(await queue.claim(['test.backoff'], 'w1', 60_000)).toBeUndefined();

      const quick = (await queue.enqueue({ name: 'test.retry', maxAttempts: 2, backoffMs: 0 }, ALICE)).job;
      await queue.claim(['test.retry'], 'w1', 60_000);
      expect(await queue.fail(quick.id, 'w1', 'first')).toMatchObject({ state: 'queued' });
      const again = await queue.claim(['test.retry'], 'w2', 60_000);
      expect(again).toMatchObject({ id: quick.id, attempts: 2, lockedBy: 'w2' });
      // Another worker's failure report for a job it does not hold changes nothing.
      expect(await queue.fail(quick.id, 'w1', 'stale report')).toBeUndefined();
      const failed = await queue.fail(quick.id, 'w2', 'second', { result: { partial: true } });
      expect(failed).toMatchObject({
        state: 'failed',
        attempts: 2,
        error: 'second',
        result: { partial: true },
      });
      expect(failed!.finishedAt).toBeDefined();
      const actions = (await audit.query({ targetId: quick.id })).entries.map((e) => e.action).reverse();
      expect(actions).toEqual(['job.enqueue', 'job.start', 'job.retry', 'job.start', 'job.fail']);

      const once = (await queue.enqueue({ name: 'test.noretry' }, ALICE)).job;
      await queue.claim(['test.noretry'], 'w1', 60_000);
      expect(await queue.fail(once.id, 'w1', 'bad payload', { retry: false })).toMatchObject({
        state: 'failed',
        attempts: 1,
      });
    });

    it('puts back the job of a worker that died once its lease runs out, and never before', async () => {
      const job = (await queue.enqueue({ name: 'test.crash', maxAttempts: 2 }, ALICE)).job;
      // The "dead" worker claims with a short lease and never renews it.
      expect(await new JobQueue(other).claim(['test.crash'], 'dead-worker', 300)).toMatchObject({
        id: job.id,
      });
      expect(await queue.reclaimExpired('rescuer')).toEqual([]);
      expect(await queue.claim(['test.crash'], 'rescuer', 60_000)).toBeUndefined();
      await sleep(400);
      const [reclaimed] = await queue.reclaimExpired('rescuer');
      expect(reclaimed).toMatchObject({ id: job.id, state: 'queued', attempts: 1 });
      expect(reclaimed!.error).toContain('dead-worker');
      const retaken = await queue.claim(['test.crash'], 'rescuer', 60_000);
      expect(retaken).toMatchObject({ id: job.id, attempts: 2, lockedBy: 'rescuer' });
      // The dead worker, had it come back, can no longer finish it.
      expect(await queue.complete(job.id, 'dead-worker', {})).toBeUndefined();
      expect(await queue.heartbeat(job.id, 'dead-worker', 60_000)).toBe(false);
      expect(await queue.heartbeat(job.id, 'rescuer', 60_000)).toBe(true);
      expect(await queue.complete(job.id, 'rescuer', { done: true })).toMatchObject({ state: 'succeeded' });
      const actions = (await audit.query({ targetId: job.id })).entries.map((e) => e.action).reverse();
      expect(actions).toEqual(['job.enqueue', 'job.start', 'job.reclaim', 'job.start', 'job.succeed']);
    });

    it('releases a job without counting the attempt, and fails a reclaimed job with no attempts left', async () => {
      const job = (await queue.enqueue({ name: 'test.release', maxAttempts: 1 }, ALICE)).job;
      await queue.claim(['test.release'], 'w1', 60_000);
      expect(await queue.release(job.id, 'w1', 'stopping')).toMatchObject({ state: 'queued', attempts: 0 });
      await queue.claim(['test.release'], 'w1', 60_000);
      // includeLive: an embedded store's owner found it running at start.
      const reclaimed = await queue.reclaimExpired('w2', { includeLive: true });
      expect(reclaimed.map((j) => j.id)).toEqual([job.id]);
      expect(reclaimed[0]).toMatchObject({ id: job.id, state: 'failed', attempts: 1 });
    });

    it('lists newest first, filtered by name and state, page by page', async () => {
      const made: Job[] = [];
      for (let i = 0; i < 5; i++) made.push((await queue.enqueue({ name: 'test.list' }, ALICE)).job);
      await queue.claim(['test.list'], 'w1', 60_000);
      const page1 = await queue.list({ name: 'test.list' }, { limit: 2 });
      expect(page1.items.map((j) => j.id)).toEqual([made[4]!.id, made[3]!.id]);
      const page2 = await queue.list({ name: 'test.list' }, { limit: 2, cursor: page1.nextCursor! });
      expect(page2.items.map((j) => j.id)).toEqual([made[2]!.id, made[1]!.id]);
      const page3 = await queue.list({ name: 'test.list' }, { limit: 2, cursor: page2.nextCursor! });
      expect(page3.items.map((j) => j.id)).toEqual([made[0]!.id]);
      expect(page3.nextCursor).toBeUndefined();
      const running = await queue.list({ name: 'test.list', state: 'running' });
      expect(running.items.map((j) => j.id)).toEqual([made[0]!.id]);
      await expect(queue.list({}, { cursor: 'garbage' })).rejects.toMatchObject({
        details: { field: 'cursor' },
      });
    });

    it('prunes finished jobs past their retention, keeping queued, running and recent ones', async () => {
      await drain('test.prune');
      const old = (await queue.enqueue({ name: 'test.prune' }, ALICE)).job;
      const recent = (await queue.enqueue({ name: 'test.prune' }, ALICE)).job;
      const waiting = (
        await queue.enqueue({ name: 'test.prune', runAfter: new Date(Date.now() + 3_600_000) }, ALICE)
      ).job;
      for (let i = 0; i < 2; i++) {
        const claimed = await queue.claim(['test.prune'], 'w-prune', 60_000);
        expect([old.id, recent.id]).toContain(claimed?.id);
        await queue.complete(claimed!.id, 'w-prune', { ok: true });
      }
      // The old one finished 100 days ago.
      await sql`update jobs set finished_at = now() - interval '100 days' where id = ${old.id}`.execute(
        database.db,
      );
      expect(await queue.prune(90, 'w-prune')).toBe(1);
      expect(await queue.get(old.id)).toBeUndefined();
      expect((await queue.get(recent.id))?.state).toBe('succeeded');
      expect((await queue.get(waiting.id))?.state).toBe('queued');
      const entries = (await audit.query({ action: 'job.prune' })).entries;
      expect(entries.at(-1)).toMatchObject({ details: { deleted: 1, retentionDays: 90 } });
      // The pruned job's own history stays in the audit log.
      expect(
        (await audit.query({ action: 'job.succeed' })).entries.some((e) => e.target?.id === old.id),
      ).toBe(true);
      expect(await queue.prune(90, 'w-prune')).toBe(0);
      await expect(queue.prune(0, 'w-prune')).rejects.toMatchObject({ details: { field: 'retentionDays' } });
    });
  });
}
