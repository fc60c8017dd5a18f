export {
  JobFailure,
  JobWorker,
  type JobContext,
  type JobHandler,
  type JobWorkerOptions,
} from './job-worker.ts';
export {
  FEEDS_IMPORT,
  FEEDS_SYNC,
  feedsImportHandler,
  feedsSyncHandler,
  type FeedJobOptions,
} from './feed-jobs.ts';
export {
  assertCron,
  DEFAULT_FEED_SYNC_CRON,
  FEEDS_SYNC_SINGLETON,
  scheduleFeedSync,
} from './feed-sync-schedule.ts';
export { createJobRuntime, type JobRuntime, type WorkerOptions } from './job-runtime.ts';
export { jobRoutes, type JobRouteOptions } from './job-routes.ts';
