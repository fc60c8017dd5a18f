import { Cron } from 'croner';
import { pwError } from '@patchwarden/core';
import type { AuditActor, JobQueue } from '@patchwarden/store';
import { FEEDS_SYNC } from './feed-jobs.ts';
import type { WorkerLog } from './job-worker.ts';

/** Every six hours, on the hour (UTC). */
export const DEFAULT_FEED_SYNC_CRON = '0 */6 * * *';

/** One feed sync queued or running at a time, whoever asked for it. */
export const FEEDS_SYNC_SINGLETON = 'feeds';

export const SCHEDULER_ACTOR: AuditActor = Object.freeze({ kind: 'system', name: 'scheduler' });

/** Checks a cron expression, naming the option in the error. */
export function assertCron(expression: string, field = 'feedSync'): void {
  try {
    new Cron(expression, { paused: true, timezone: 'UTC' }).stop();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw pwError(
      'PW_ERR_USAGE',
      `${field} must be a cron expression or "off", not "${expression}": ${reason}`,
      {
        field,
      },
    );
  }
}

export interface FeedSyncSchedule {
  stop(): void;
}

/**
 * Queues `feeds.sync` at start and at every tick of `cron` (UTC). Each tick's job carries the
 * tick's time as its schedule slot, so several server processes on one PostgreSQL enqueue it
 * once; the singleton key means a sync still running when the next tick comes is not doubled.
 */
export function scheduleFeedSync(
  queue: JobQueue,
  options: { cron: string; atStart?: boolean; onEnqueue?: () => void; log?: WorkerLog },
): FeedSyncSchedule {
  assertCron(options.cron);
  const enqueue = async (scheduleSlot?: string): Promise<void> => {
    try {
      const { job, created } = await queue.enqueue(
        {
          name: FEEDS_SYNC,
          singletonKey: FEEDS_SYNC_SINGLETON,
          ...(scheduleSlot === undefined ? {} : { scheduleSlot }),
        },
        SCHEDULER_ACTOR,
      );
      if (created) options.onEnqueue?.();
      options.log?.info({ jobId: job.id, created, scheduleSlot }, 'scheduled feed sync');
    } catch (error) {
      options.log?.error({ err: error }, 'scheduling a feed sync failed');
    }
  };
  const cron = new Cron(options.cron, { timezone: 'UTC', protect: true }, async (self: Cron) => {
    // Every process ticks within milliseconds of the scheduled second: rounding to the second
    // gives all of them the same slot.
    const at = self.currentRun() ?? new Date();
    await enqueue(`cron:${new Date(Math.round(at.getTime() / 1000) * 1000).toISOString()}`);
  });
  if (options.atStart !== false) void enqueue();
  return { stop: () => cron.stop() };
}
