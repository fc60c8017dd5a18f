import type { JsonValue } from '../audit/canonical-json.ts';

export const JOB_STATES = Object.freeze(['queued', 'running', 'succeeded', 'failed'] as const);
export type JobState = (typeof JOB_STATES)[number];

/** A job as the queue hands it out; times are RFC 3339 strings. */
export interface Job {
  id: string;
  name: string;
  payload: JsonValue;
  state: JobState;
  /** Attempts started so far (the running one included). */
  attempts: number;
  maxAttempts: number;
  /** First retry delay; doubled for each further attempt. */
  backoffMs: number;
  /** Not claimed before this time (a retry waits here). */
  runAfter: string;
  singletonKey?: string;
  scheduleSlot?: string;
  /** The worker holding a running job, and until when its lease lasts. */
  lockedBy?: string;
  lockedUntil?: string;
  result?: JsonValue;
  /** The last attempt's error (kept while a retry waits). */
  error?: string;
  /** Who asked for it: a user name, a token, `system` for the scheduler. */
  createdBy: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  updatedAt: string;
}

export interface EnqueueInput {
  name: string;
  payload?: JsonValue;
  /** Default 3. */
  maxAttempts?: number;
  /** Default 30 s. */
  backoffMs?: number;
  /** Default: now. */
  runAfter?: Date;
  /** At most one queued or running job of this name with this key: a second enqueue returns it. */
  singletonKey?: string;
  /** At most one job of this name for this scheduled run, whatever its state. */
  scheduleSlot?: string;
}

export interface EnqueueResult {
  job: Job;
  /** False when a singleton or schedule slot already held a job, which `job` is. */
  created: boolean;
}

export interface JobFilter {
  name?: string;
  state?: JobState;
}

export interface JobPageRequest {
  /** Default 50, at most 500. */
  limit?: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
}

export interface JobPage {
  /** Newest first. */
  items: Job[];
  nextCursor?: string;
}
