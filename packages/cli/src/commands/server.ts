import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from '@commander-js/extra-typings';
import { runAgent, stderrLogger } from '@patchwarden/agent';
import { pwError } from '@patchwarden/core';
import { importFeeds } from '@patchwarden/feeds';
import { AssetRepository, FindingsService, IntelRepository, SYSTEM_ACTOR } from '@patchwarden/store';
import type { AuthRepository, Database } from '@patchwarden/store';
import {
  createPatchwardenApp,
  DEFAULT_FEED_SYNC_CRON,
  FEEDS_IMPORT,
  installShutdownHandlers,
  startServer,
} from '@patchwarden/server';
import type { PatchwardenApp } from '@patchwarden/server';
import { defaultFeedMirror, patchwardenHome } from '../paths.ts';
import { Progress } from '../progress.ts';
import { openStore } from '../store/open-store.ts';
import { StoreSink } from '../store/store-sink.ts';

/** The feed samples shipped in the repository, so that a first start has advisories to match. */
export const BUNDLED_FEEDS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../fixtures/feeds');

const HOUR = 60 * 60 * 1000;

/**
 * Imports `paths` when the database holds no advisory yet, then recomputes every asset's findings.
 * Returns the number of advisories afterwards.
 */
export async function importFeedsIfEmpty(
  database: Database,
  paths: readonly string[],
  progress: Progress,
): Promise<{ imported: boolean; advisories: number }> {
  const intel = new IntelRepository(database);
  if (Number((await intel.counts()).advisories) > 0) {
    return { imported: false, advisories: Number((await intel.counts()).advisories) };
  }
  await importFeeds(new StoreSink(intel), [...paths], {
    incremental: true,
    onProgress: (p) => progress.update(`import ${p.feed} ${p.file}: ${p.records} records`),
    onUnrecognised: (file) => progress.note(`${file}: format not recognised, skipped`),
  });
  const advisories = Number((await intel.counts()).advisories);
  progress.note(`feeds: ${advisories} advisories imported from ${paths.join(', ')}`);
  await recomputeAllFindings(database, progress);
  return { imported: true, advisories };
}

/**
 * When the database holds no advisory yet, queues a `feeds.import` of `paths` for the worker
 * (which then refreshes findings); returns the job's id, or undefined when there was nothing to do.
 */
export async function queueFeedsImportIfEmpty(
  app: PatchwardenApp,
  paths: readonly string[],
): Promise<string | undefined> {
  if (Number((await app.platform.intel.counts()).advisories) > 0) return undefined;
  const { job } = await app.jobs.queue.enqueue(
    // One initial import however many processes start on an empty PostgreSQL at once.
    { name: FEEDS_IMPORT, payload: { paths: paths.map((path) => resolve(path)) }, singletonKey: 'initial' },
    SYSTEM_ACTOR,
  );
  app.jobs.worker?.wake();
  return job.id;
}

/** After an import every asset's findings may change. */
export async function recomputeAllFindings(database: Database, progress?: Progress): Promise<number> {
  const assets = new AssetRepository(database);
  const service = new FindingsService(database);
  const now = new Date().toISOString();
  let cursor: string | undefined;
  let count = 0;
  do {
    const page = await assets.list(
      { terms: [] },
      { now, limit: 500, ...(cursor === undefined ? {} : { cursor }) },
    );
    for (const asset of page.items) {
      await service.recomputeFindings(asset.id, now);
      count++;
    }
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  progress?.note(`findings recomputed for ${count} assets`);
  return count;
}

/**
 * A one-use secret for this host's own agent on every start: unused while its stored credential
 * works, it lets the agent enrol again when the database was replaced or reset.
 */
async function localAgentSecret(auth: AuthRepository): Promise<string> {
  const { secret } = await auth.createEnrolmentSecret(
    {
      name: 'local agent (patchwarden server --local-agent)',
      maxUses: 1,
      expiresAt: new Date(Date.now() + HOUR),
    },
    SYSTEM_ACTOR,
  );
  return secret;
}

/** The served certificate's SHA-256 fingerprint: the local agent trusts exactly it, whoever signed it. */
async function certificatePin(certFile: string): Promise<string> {
  const certificate = new X509Certificate(await readFile(certFile));
  return certificate.fingerprint256.replaceAll(':', '').toLowerCase();
}

function portOf(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw pwError('PW_ERR_USAGE', `--port must be a whole number from 0 to 65535, not "${text}"`, {
      field: 'port',
    });
  }
  return port;
}

/**
 * Started by the `patchwarden` launcher (bin/server-process.js), the server has an IPC channel to
 * it: when the launcher goes away, even killed outright, the server shuts down as on SIGTERM
 * instead of holding its port and data directory as an orphan. The channel alone does not keep
 * the process alive.
 */
function shutdownWhenLauncherExits(shutdown: (reason: string) => Promise<number>): void {
  if (!process.channel) return;
  process.channel.unref();
  process.once('disconnect', () => void shutdown('the launcher exited'));
}

/** `patchwarden server`: the API, the agent endpoints and (with --local-agent) this host's own agent. */
export function serverCommand() {
  return new Command('server')
    .description('Run the Patchwarden server (API and agent endpoints)')
    .option('--data-dir <dir>', 'embedded database directory (default: $PATCHWARDEN_HOME/data)')
    .option('--database-url <url>', 'PostgreSQL server (default: $DATABASE_URL)')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 picks a free one)', '8443')
    .option('--tls-cert <file>', 'PEM certificate (with --tls-key): serve HTTPS')
    .option('--tls-key <file>', 'PEM private key')
    .option('--feeds <paths...>', 'feed files or directories imported when the database has no advisory', [
      BUNDLED_FEEDS,
    ])
    .option(
      '--feed-sync <cron|off>',
      'when to download the public feeds (cron, UTC; also once at start), or "off" for offline installs',
      DEFAULT_FEED_SYNC_CRON,
    )
    .option('--local-agent', "also run this host's agent in-process, reporting over loopback")
    .option('-q, --quiet', 'no progress on standard error')
    .action(async (options) => {
      if (Boolean(options.tlsCert) !== Boolean(options.tlsKey)) {
        throw pwError('PW_ERR_USAGE', '--tls-cert and --tls-key go together', { field: 'tls-cert' });
      }
      const port = portOf(options.port);
      const progress = new Progress(!options.quiet);
      const database = await openStore(options);
      let app;
      try {
        app = await createPatchwardenApp({
          database,
          ...(options.tlsCert && options.tlsKey
            ? { tls: { certFile: options.tlsCert, keyFile: options.tlsKey } }
            : {}),
          ...(process.env.PATCHWARDEN_SECRET_KEY ? { secretKey: process.env.PATCHWARDEN_SECRET_KEY } : {}),
          // The bundled feeds, --feeds and $PATCHWARDEN_HOME/feeds: where POST /feeds/import may read.
          feedImportRoots: [BUNDLED_FEEDS, ...options.feeds, join(patchwardenHome(), 'feeds')],
          worker: {
            mirrorDir: defaultFeedMirror(),
            feedSync: options.feedSync.trim().toLowerCase() === 'off' ? false : options.feedSync,
          },
        });
        const first = await app.platform.auth.bootstrapAdmin();
        if (first.generatedPassword) {
          process.stderr.write(`patchwarden: admin password (shown once): ${first.generatedPassword}\n`);
        } else if (first.created) {
          process.stderr.write('patchwarden: admin created with PATCHWARDEN_ADMIN_PASSWORD\n');
        }
        const importJob = await queueFeedsImportIfEmpty(app, options.feeds);
        if (importJob !== undefined) {
          progress.note(`feeds: import of ${options.feeds.join(', ')} queued as job ${importJob}`);
        }
      } catch (error) {
        await app?.close();
        await database.close();
        throw error;
      }
      const agentAbort = new AbortController();
      let agentRun: Promise<unknown> | undefined;
      app.addHook('onClose', async () => {
        agentAbort.abort();
        await agentRun?.catch(() => undefined);
        await database.close();
      });
      const closed = new Promise<void>((done) => app.addHook('onClose', async () => done()));
      const address = await startServer(app, { host: options.host, port });
      process.stderr.write(`patchwarden: listening on ${address}\n`);
      const { shutdown } = installShutdownHandlers(app, { timeoutMs: 25_000 });
      shutdownWhenLauncherExits(shutdown);
      if (options.localAgent) {
        const { port: bound } = new URL(address);
        const scheme = options.tlsCert ? 'https' : 'http';
        // The agent binds its credential to one server URL: one state per local address.
        const stateDir = join(patchwardenHome(), 'local-agent', `${scheme}-${bound}`);
        const secret = await localAgentSecret(app.platform.auth);
        process.stderr.write(
          `patchwarden: local agent reporting this host to ${scheme}://127.0.0.1:${bound}\n`,
        );
        agentRun = runAgent(
          {
            server: `${scheme}://127.0.0.1:${bound}`,
            stateDir,
            enrolmentSecret: secret,
            ...(options.tlsCert ? { pins: [await certificatePin(options.tlsCert)] } : {}),
            intervalSeconds: 300,
          },
          { signal: agentAbort.signal, log: stderrLogger() },
        ).catch((error: unknown) => {
          process.stderr.write(`patchwarden: local agent stopped: ${String(error)}\n`);
        });
      }
      await closed;
    });
}
