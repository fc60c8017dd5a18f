import { DEFAULT_FEED_SOURCES } from '@patchwarden/feeds';
import type { FeedSource } from '@patchwarden/feeds';
import { AssetRepository } from '@patchwarden/store';
import type { Database, JobQueue } from '@patchwarden/store';
import { FEEDS_IMPORT, FEEDS_SYNC, feedsImportHandler, feedsSyncHandler } from './feed-jobs.ts';
import type { FeedJobOptions } from './feed-jobs.ts';
import { assertCron, DEFAULT_FEED_SYNC_CRON, scheduleFeedSync } from './feed-sync-schedule.ts';
import type { FeedSyncSchedule } from './feed-sync-schedule.ts';
import { JobWorker } from './job-worker.ts';
import type { WorkerLog } from './job-worker.ts';

/** A replaced inventory's set is kept a day (a host flapping between two states reuses it). */
const UNUSED_SET_GRACE_HOURS = 24;

export interface WorkerOptions {
  /** Where `feeds.sync` keeps its downloads (the last good copy of each feed). */
  mirrorDir: string;
  /**
   * Cron expression (UTC) for the online feed sync, also run once at start; `false` for none
   * (an offline install: feeds come from `POST /feeds/import`). Default every six hours.
   */
  feedSync?: string | false;
  /** Default: the public feeds (DEFAULT_FEED_SOURCES). */
  feedSources?: readonly FeedSource[];
  download?: FeedJobOptions['download'];
  leaseMs?: number;
  heartbeatMs?: number;
  pollMs?: number;
  /** How long a stop waits for the running job before releasing it (default 15 s). */
  stopGraceMs?: number;
}

/** The worker of one server process and its feed-sync schedule, started and stopped together. */
export interface JobRuntime {
  readonly worker: JobWorker;
  start(): void;
  stop(): Promise<void>;
}

export function createJobRuntime(
  database: Database,
  queue: JobQueue,
  options: WorkerOptions,
  log: WorkerLog,
): JobRuntime {
  const feedSync = options.feedSync ?? DEFAULT_FEED_SYNC_CRON;
  if (feedSync !== false) assertCron(feedSync);
  const worker = new JobWorker({
    queue,
    handlers: {
      [FEEDS_SYNC]: feedsSyncHandler({
        database,
        sources: options.feedSources ?? DEFAULT_FEED_SOURCES,
        mirrorDir: options.mirrorDir,
        ...(options.download === undefined ? {} : { download: options.download }),
      }),
      [FEEDS_IMPORT]: feedsImportHandler({ database }),
    },
    housekeeping: [
      {
        name: 'unused package sets',
        run: (workerId) =>
          new AssetRepository(database).pruneUnusedSets(UNUSED_SET_GRACE_HOURS, {
            kind: 'system',
            id: workerId,
            name: 'job worker',
          }),
      },
    ],
    // One process owns an embedded store: a job it finds running at start was left by a crash.
    reclaimAllAtStart: database.kind === 'embedded',
    log,
    ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
    ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }),
    ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
  });
  let schedule: FeedSyncSchedule | undefined;
  return {
    worker,
    start() {
      worker.start();
      if (feedSync !== false && schedule === undefined) {
        schedule = scheduleFeedSync(queue, { cron: feedSync, onEnqueue: () => worker.wake(), log });
      }
    },
    async stop() {
      schedule?.stop();
      await worker.stop(options.stopGraceMs);
    },
  };
}
