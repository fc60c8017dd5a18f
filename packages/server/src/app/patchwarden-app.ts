import { compileAssetFilter, DEFAULT_STALE_AFTER_DAYS, parseAssetFilter } from '@patchwarden/core';
import type { AssetMatcher } from '@patchwarden/core';
import {
  AssetRepository,
  AuthRepository,
  FindingRepository,
  FindingsService,
  IntelRepository,
  JobQueue,
  PolicyDecisions,
  SecretBox,
} from '@patchwarden/store';
import type { Database } from '@patchwarden/store';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { registerAgentRoutes } from '../agent/agent-routes.ts';
import type { AgentRouteOptions } from '../agent/agent-routes.ts';
import { assetRoutes } from '../assets/asset-routes.ts';
import { findingRoutes } from '../assets/finding-routes.ts';
import type { PlatformContext } from '../assets/platform-context.ts';
import { reportRoutes } from '../assets/report-routes.ts';
import { authPlugin } from '../auth/auth-plugin.ts';
import { createJobRuntime } from '../jobs/job-runtime.ts';
import type { JobRuntime, WorkerOptions } from '../jobs/job-runtime.ts';
import { jobRoutes } from '../jobs/job-routes.ts';
import type { JobWorker } from '../jobs/job-worker.ts';
import { buildServer } from './build-server.ts';
import type { ServerLoggerOptions, ServerOptions, ServerPlugin } from './build-server.ts';
import { systemClock } from './services.ts';

export interface PatchwardenAppOptions {
  /** Opened (and closed) by the caller. */
  database: Database;
  logger?: ServerLoggerOptions | false;
  tls?: { certFile: string; keyFile: string };
  /** PATCHWARDEN_SECRET_KEY: encrypts TOTP seeds; without it TOTP cannot be enrolled. */
  secretKey?: string;
  /** Registered under /api/v1 after the asset and finding routes (the policy plugin, for one). */
  extraPlugins?: ServerPlugin[];
  now?: () => Date;
  rateLimit?: ServerOptions['rateLimit'];
  agent?: AgentRouteOptions;
  staleAfterDays?: number;
  /** Registers the policy and patch-queue routes (default true). */
  policy?: boolean;
  /**
   * Runs the background worker (feed sync and import jobs) in this process, started when the app
   * is ready and stopped when it closes. Absent: the job API still queues, for a worker elsewhere.
   */
  worker?: WorkerOptions;
  /** Folders POST /feeds/import may read from; none: that route refuses every path. */
  feedImportRoots?: readonly string[];
}

/**
 * The policy plugin is built alongside this app; loading it lazily keeps the rest of the API up
 * should it fail to load, and says so in the log.
 */
async function loadPolicyPlugin(database: Database): Promise<ServerPlugin | Error> {
  try {
    const { policyPlugin } = await import('../policy/index.ts');
    return policyPlugin({ database });
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

export interface PatchwardenApp extends FastifyInstance {
  platform: PlatformContext;
  /** The job queue, and this process's worker when `worker` was given. */
  jobs: { queue: JobQueue; worker: JobWorker | undefined };
}

/**
 * The asset-filter compiler behind `asset-filter` role bindings. A filter with a `stale:` term is
 * judged at the moment the request is authorised, not when the binding was loaded.
 */
export function roleFilterCompiler(clock: () => Date, staleAfterDays: number) {
  return (text: string): AssetMatcher | undefined => {
    let filter;
    try {
      filter = parseAssetFilter(text);
    } catch {
      return undefined; // A binding whose filter no longer parses grants nothing.
    }
    return (asset) => compileAssetFilter(filter, { now: clock().toISOString(), staleAfterDays })(asset);
  };
}

/**
 * The whole Patchwarden API on one database: authentication, assets, findings, reports and the
 * agent protocol, plus `extraPlugins`. Readiness is a database round trip.
 */
export async function createPatchwardenApp(options: PatchwardenAppOptions): Promise<PatchwardenApp> {
  const { database } = options;
  const clock = options.now ?? systemClock;
  const staleAfterDays = options.staleAfterDays ?? DEFAULT_STALE_AFTER_DAYS;
  const auth = new AuthRepository(database, {
    clock,
    ...(options.secretKey ? { secretBox: SecretBox.fromText(options.secretKey) } : {}),
  });
  const context: PlatformContext = {
    database,
    auth,
    audit: auth.auditLog,
    assets: new AssetRepository(database),
    findings: new FindingRepository(database),
    findingsService: new FindingsService(database),
    intel: new IntelRepository(database),
    policyDecisions: new PolicyDecisions(database),
    clock,
    staleAfterDays,
  };
  const policy = options.policy === false ? undefined : await loadPolicyPlugin(database);
  const queue = new JobQueue(database, context.audit);
  let runtime: JobRuntime | undefined;
  const app = await buildServer({
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.tls ? { tls: options.tls } : {}),
    ...(options.rateLimit === undefined ? {} : { rateLimit: options.rateLimit }),
    services: { clock },
    ready: async () => {
      await sql`select 1`.execute(database.db);
      return { ok: true };
    },
    plugins: [
      authPlugin({ repository: auth, compileAssetFilter: roleFilterCompiler(clock, staleAfterDays) }),
      assetRoutes(context),
      findingRoutes(context),
      reportRoutes(context),
      jobRoutes({
        queue,
        onEnqueue: () => runtime?.worker.wake(),
        ...(options.feedImportRoots ? { importRoots: options.feedImportRoots } : {}),
      }),
      ...(policy instanceof Error || policy === undefined ? [] : [policy]),
      ...(options.extraPlugins ?? []),
    ],
  });
  if (policy instanceof Error) app.log.error({ err: policy }, 'policy routes unavailable');
  registerAgentRoutes(app, context, options.agent);
  app.decorate('platform', context);
  if (options.worker !== undefined) {
    runtime = createJobRuntime(database, queue, options.worker, app.log);
    const started = runtime;
    app.addHook('onReady', async () => started.start());
    // Before the database closes (the caller closes it in onClose): finish or release the job.
    app.addHook('preClose', async () => started.stop());
  }
  app.decorate('jobs', { queue, worker: runtime?.worker });
  return app as PatchwardenApp;
}
