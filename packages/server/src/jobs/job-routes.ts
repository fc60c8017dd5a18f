import { resolve, sep } from 'node:path';
import { pwError } from '@patchwarden/core';
import type { Job, JobQueue } from '@patchwarden/store';
import { z } from 'zod';
import type { ServerPlugin } from '../app/build-server.ts';
import { actorOf, authorizeRequest } from '../auth/request-principal.ts';
import { FEEDS_IMPORT, FEEDS_SYNC } from './feed-jobs.ts';
import { FEEDS_SYNC_SINGLETON } from './feed-sync-schedule.ts';
import { enqueuedSchema, feedImportBody, jobListQuery, jobPageSchema, jobSchema } from './job-schemas.ts';

export interface JobRouteOptions {
  queue: JobQueue;
  /** Called after an enqueue, to start an in-process worker at once instead of at its next poll. */
  onEnqueue?: () => void;
  /**
   * Folders POST /feeds/import may read from (and below). Without it the route is off: an API
   * call must not make the server read any file its process can open.
   */
  importRoots?: readonly string[];
}

/** The first path that lies outside every root, if any (after resolving `..`). */
function outsideRoots(paths: readonly string[], roots: readonly string[]): string | undefined {
  const prefixes = roots.map((root) => resolve(root));
  return paths.find((path) => {
    const full = resolve(path);
    return !prefixes.some((root) => full === root || full.startsWith(root.endsWith(sep) ? root : root + sep));
  });
}

function enqueued(job: Job, created: boolean) {
  return { jobId: job.id, state: job.state, created };
}

/**
 * `/jobs` (read the queue) and `/feeds/sync`, `/feeds/import` (ask the worker for a feed
 * refresh). Enqueueing answers 202 at once with the job's id: the work runs in the worker, and
 * `GET /jobs/:id` tells how it went. Every enqueue and state change is in the audit log.
 */
export function jobRoutes(options: JobRouteOptions): ServerPlugin {
  const { queue } = options;
  return async (app) => {
    app.get(
      '/jobs',
      {
        schema: {
          summary: 'Background jobs, newest first, filtered by name and state',
          tags: ['jobs'],
          querystring: jobListQuery,
          response: { 200: jobPageSchema },
        },
      },
      async (request) => {
        authorizeRequest(request, 'jobs:read');
        const { limit, cursor, ...filter } = request.query;
        return queue.list(filter, { limit, ...(cursor === undefined ? {} : { cursor }) });
      },
    );

    app.get(
      '/jobs/:id',
      {
        schema: {
          summary: 'One background job: its state, attempts, result or error',
          tags: ['jobs'],
          params: z.object({ id: z.string().min(1).max(100) }),
          response: { 200: jobSchema },
        },
      },
      async (request) => {
        authorizeRequest(request, 'jobs:read');
        const job = await queue.get(request.params.id);
        if (job === undefined) {
          throw pwError('PW_ERR_NOT_FOUND', `No job ${request.params.id}`, { record: request.params.id });
        }
        return job;
      },
    );

    app.post(
      '/feeds/sync',
      {
        schema: {
          summary: 'Queue an online sync of the public feeds, then an import and a findings refresh',
          description:
            'Answers at once. When a sync is already queued or running, its job is returned (created: false).',
          tags: ['jobs'],
          response: { 202: enqueuedSchema },
        },
      },
      async (request, reply) => {
        const principal = authorizeRequest(request, 'feeds:sync');
        const { job, created } = await queue.enqueue(
          { name: FEEDS_SYNC, singletonKey: FEEDS_SYNC_SINGLETON },
          actorOf(principal),
        );
        if (created) options.onEnqueue?.();
        return reply.code(202).send(enqueued(job, created));
      },
    );

    app.post(
      '/feeds/import',
      {
        schema: {
          summary: 'Queue an import of feed files already on the server (the offline path)',
          tags: ['jobs'],
          body: feedImportBody,
          response: { 202: enqueuedSchema },
        },
      },
      async (request, reply) => {
        const principal = authorizeRequest(request, 'feeds:sync');
        const roots = options.importRoots ?? [];
        const outside = outsideRoots(request.body.paths, roots);
        if (outside !== undefined) {
          throw pwError(
            'PW_ERR_FORBIDDEN',
            roots.length === 0
              ? 'Feed imports over the API are off: start the server with feed import folders'
              : `${outside} is outside the feed import folders (${roots.join(', ')})`,
            { field: 'paths', reason: 'outside_import_roots' },
          );
        }
        const { job, created } = await queue.enqueue(
          { name: FEEDS_IMPORT, payload: { paths: request.body.paths.map((path) => resolve(path)) } },
          actorOf(principal),
        );
        if (created) options.onEnqueue?.();
        return reply.code(202).send(enqueued(job, created));
      },
    );
  };
}
