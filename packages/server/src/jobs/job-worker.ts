import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Job, JobQueue, JsonValue } from '@patchwarden/store';

export interface JobContext {
  /** Aborted when the worker stops or loses the job's lease: stop at the next safe point. */
  signal: AbortSignal;
}

/** Does one job; its resolved value is stored as the job's result. */
export type JobHandler = (job: Job, context: JobContext) => Promise<JsonValue>;

/**
 * Thrown by a handler to fail with what it did manage (`result`), or to fail without a retry
 * (`retry: false`) when another attempt cannot do better (bad payload, a path that is not there).
 */
export class JobFailure extends Error {
  readonly retry: boolean;
  readonly result: JsonValue | undefined;

  constructor(message: string, options: { retry?: boolean; result?: JsonValue; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'JobFailure';
    this.retry = options.retry ?? true;
    this.result = options.result;
  }
}

/** The subset of pino's logger the worker writes to. */
export interface WorkerLog {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface JobWorkerOptions {
  queue: JobQueue;
  handlers: Readonly<Record<string, JobHandler>>;
  /** Default: host, process id and a random suffix. */
  workerId?: string;
  /** How long a claim lasts without renewal. Default 5 minutes. */
  leaseMs?: number;
  /** How often the lease is renewed. Default a quarter of the lease. */
  heartbeatMs?: number;
  /** How often an idle worker looks for work. Default 2 s. */
  pollMs?: number;
  /**
   * At start, take back every running job, lease or not. Only for an embedded store: one process
   * owns it, so a running job found at start was left by a process that has ended.
   */
  reclaimAllAtStart?: boolean;
  /** Finished jobs older than this many days are deleted, checked about once an hour. Default 90. */
  retentionDays?: number;
  /** Other clean-ups run with that hourly prune; each answers how many rows it removed. */
  housekeeping?: readonly HousekeepingTask[];
  log?: WorkerLog;
}

export interface HousekeepingTask {
  /** Names the task in the log. */
  name: string;
  run(workerId: string): Promise<number>;
}

const PRUNE_EVERY_MS = 60 * 60_000;
export const DEFAULT_JOB_RETENTION_DAYS = 90;

const SILENT: WorkerLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

class StopRequested extends Error {
  constructor() {
    super('the worker is stopping');
    this.name = 'StopRequested';
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs queued jobs one at a time: claims the oldest due one, renews its lease while the handler
 * works, and records the outcome (result, retry with backoff, or failure). Any number of workers,
 * in one process or several, can share a queue; each job runs in exactly one at a time.
 */
export class JobWorker {
  readonly id: string;
  readonly #queue: JobQueue;
  readonly #handlers: Readonly<Record<string, JobHandler>>;
  readonly #leaseMs: number;
  readonly #heartbeatMs: number;
  readonly #pollMs: number;
  readonly #reclaimAllAtStart: boolean;
  readonly #retentionDays: number;
  readonly #housekeeping: readonly HousekeepingTask[];
  #prunedAt = Number.NEGATIVE_INFINITY;
  readonly #log: WorkerLog;
  #loop: Promise<void> | undefined;
  #stopping = false;
  #wake: (() => void) | undefined;
  #current: { job: Job; controller: AbortController; done: Promise<void> } | undefined;

  constructor(options: JobWorkerOptions) {
    this.id = options.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.#queue = options.queue;
    this.#handlers = options.handlers;
    this.#leaseMs = options.leaseMs ?? 5 * 60_000;
    this.#heartbeatMs = options.heartbeatMs ?? Math.max(1, Math.floor(this.#leaseMs / 4));
    this.#pollMs = options.pollMs ?? 2_000;
    this.#reclaimAllAtStart = options.reclaimAllAtStart ?? false;
    this.#retentionDays = options.retentionDays ?? DEFAULT_JOB_RETENTION_DAYS;
    this.#housekeeping = options.housekeeping ?? [];
    this.#log = options.log ?? SILENT;
    if (this.#heartbeatMs >= this.#leaseMs) {
      throw new RangeError('JobWorker: heartbeatMs must be shorter than leaseMs');
    }
  }

  get names(): string[] {
    return Object.keys(this.#handlers);
  }

  /** Starts polling; a second call does nothing. */
  start(): void {
    if (this.#loop !== undefined || this.#stopping) return;
    this.#loop = this.#run();
  }

  /** Looks for work now instead of at the next poll (after an enqueue in this process). */
  wake(): void {
    this.#wake?.();
  }

  /**
   * Stops taking jobs and asks the running one to stop. A job that still runs after `graceMs` is
   * released back to the queue (not counted as an attempt) so another worker takes it up.
   */
  async stop(graceMs = 15_000): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    const current = this.#current;
    current?.controller.abort(new StopRequested());
    if (this.#loop === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
    });
    const outcome = await Promise.race([this.#loop.then(() => 'done' as const), timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout' && this.#current !== undefined) {
      const { job } = this.#current;
      this.#log.warn(
        { jobId: job.id, job: job.name },
        'job still running at shutdown: released to the queue',
      );
      await this.#queue.release(
        job.id,
        this.id,
        `still running ${graceMs} ms after the worker was asked to stop`,
      );
    }
  }

  /**
   * Claims and runs one due job (reclaiming expired leases first); undefined when none is due.
   * The polling loop calls this; tests call it to run the queue step by step.
   */
  async runOnce(): Promise<Job | undefined> {
    const reclaimed = await this.#queue.reclaimExpired(this.id);
    for (const job of reclaimed) {
      this.#log.warn({ jobId: job.id, job: job.name, state: job.state }, job.error ?? 'job reclaimed');
    }
    const job = await this.#queue.claim(this.names, this.id, this.#leaseMs);
    if (job === undefined) return undefined;
    if (this.#stopping) {
      // stop() came while the claim was on its way: hand the job straight back.
      await this.#queue.release(job.id, this.id, 'the worker stopped as it claimed the job');
      return (await this.#queue.get(job.id)) ?? job;
    }
    const controller = new AbortController();
    const done = this.#perform(job, controller);
    this.#current = { job, controller, done };
    try {
      await done;
    } finally {
      this.#current = undefined;
    }
    return (await this.#queue.get(job.id)) ?? job;
  }

  async #run(): Promise<void> {
    if (this.#reclaimAllAtStart) {
      try {
        const jobs = await this.#queue.reclaimExpired(this.id, { includeLive: true });
        if (jobs.length > 0)
          this.#log.warn(
            { jobs: jobs.map((j) => j.id) },
            'jobs left running by an earlier process reclaimed',
          );
      } catch (error) {
        this.#log.error({ err: error }, 'reclaiming jobs at start failed');
      }
    }
    while (!this.#stopping) {
      let ran: Job | undefined;
      try {
        await this.#pruneNowAndThen();
        ran = await this.runOnce();
      } catch (error) {
        // A database hiccup must not end the worker: log it and try again at the next poll.
        this.#log.error({ err: error }, 'job worker poll failed');
      }
      if (ran === undefined && !this.#stopping) await this.#sleep();
    }
  }

  /** Keeps the jobs table small: finished jobs past their retention go (their audit trail stays). */
  async #pruneNowAndThen(): Promise<void> {
    if (performance.now() - this.#prunedAt < PRUNE_EVERY_MS) return;
    this.#prunedAt = performance.now();
    const deleted = await this.#queue.prune(this.#retentionDays, this.id);
    if (deleted > 0) this.#log.info({ deleted, retentionDays: this.#retentionDays }, 'old jobs pruned');
    for (const task of this.#housekeeping) {
      try {
        const removed = await task.run(this.id);
        if (removed > 0) this.#log.info({ task: task.name, removed }, 'housekeeping removed rows');
      } catch (error) {
        // One failing clean-up must not stop the others, nor the jobs.
        this.#log.error({ err: error, task: task.name }, 'housekeeping failed');
      }
    }
  }

  #sleep(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.#pollMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = () => {
        this.#wake = undefined;
        done();
      };
    });
  }

  async #perform(job: Job, controller: AbortController): Promise<void> {
    const handler = this.#handlers[job.name];
    const log = { jobId: job.id, job: job.name, attempt: job.attempts };
    this.#log.info(log, 'job started');
    const heartbeat = setInterval(() => {
      this.#queue.heartbeat(job.id, this.id, this.#leaseMs).then(
        (held) => {
          if (!held) controller.abort(new Error('the job lease was lost to another worker'));
        },
        (error: unknown) => this.#log.warn({ ...log, err: error }, 'job lease renewal failed'),
      );
    }, this.#heartbeatMs);
    try {
      if (handler === undefined) throw new JobFailure(`no handler for job ${job.name}`, { retry: false });
      const result = await handler(job, { signal: controller.signal });
      const stored = await this.#queue.complete(job.id, this.id, result);
      if (stored === undefined) this.#log.warn(log, 'job finished after its lease was lost: result dropped');
      else this.#log.info(log, 'job succeeded');
    } catch (error) {
      if (controller.signal.reason instanceof StopRequested) {
        await this.#queue.release(job.id, this.id, `worker stopped: ${messageOf(error)}`);
        this.#log.info(log, 'job released: the worker is stopping');
        return;
      }
      const failure = error instanceof JobFailure ? error : undefined;
      const stored = await this.#queue.fail(job.id, this.id, messageOf(error), {
        ...(failure === undefined ? {} : { retry: failure.retry }),
        ...(failure?.result === undefined ? {} : { result: failure.result }),
      });
      this.#log.warn({ ...log, err: error, state: stored?.state }, 'job attempt failed');
    } finally {
      clearInterval(heartbeat);
    }
  }
}
