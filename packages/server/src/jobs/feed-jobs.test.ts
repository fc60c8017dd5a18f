// Job results are JSON the handlers build; the tests read them loosely.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseInventoryFile } from '@patchwarden/inventory';
import {
  AssetRepository,
  FindingRepository,
  IntelRepository,
  JobQueue,
  openDatabase,
} from '@patchwarden/store';
import type { Database, Job } from '@patchwarden/store';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fixturePath } from '../../../../test-support/shared-data.ts';
import type { FeedServer } from '../../../feeds/src/sync/test-feed-server.ts';
import { serveFile, startFeedServer } from '../../../feeds/src/sync/test-feed-server.ts';
import { BACKENDS, freshTarget } from '../../../store/src/testing/test-database.ts';
import type { TestTarget } from '../../../store/src/testing/test-database.ts';
import { FEEDS_IMPORT, FEEDS_SYNC, feedsImportHandler, feedsSyncHandler } from './feed-jobs.ts';
import type { FeedJobOptions } from './feed-jobs.ts';
import { JobWorker } from './job-worker.ts';

const ALICE = { kind: 'user', id: 'u-1', name: 'alice' } as const;
/** Real GitHub advisories: minimist (GHSA-xvch-5gv4-984h) and lodash (GHSA-jf85-cpcp-j695). */
const MINIMIST_ADVISORY = fixturePath('feeds/GHSA-xvch-5gv4-984h.json');
const LODASH_ADVISORY = fixturePath('feeds/GHSA-jf85-cpcp-j695.json');
/** Real lockfiles: minimist 0.0.8 (osv-scalibr) and lodash 4.17.4 (Trivy). */
const YARN_LOCK = fixturePath('inventory/lockfiles/osv-scalibr/yarnlock/commits.v1.lock');
const PNPM_LOCK = fixturePath('inventory/trivy-integration/lockfiles/pnpm/pnpm-lock.yaml');
const FAST_DOWNLOADS = { retries: 1, backoffMs: 5, timeoutMs: 5_000 } as const;

for (const backend of BACKENDS) {
  describe(`feed jobs on ${backend}`, () => {
    let target: TestTarget;
    let database: Database;
    let queue: JobQueue;
    let findings: FindingRepository;
    let assetId: string;
    let server: FeedServer;
    let mirror: string;

    const worker = (sync: Partial<FeedJobOptions> = {}) =>
      new JobWorker({
        queue,
        workerId: 'test-worker',
        handlers: {
          [FEEDS_IMPORT]: feedsImportHandler({ database }),
          [FEEDS_SYNC]: feedsSyncHandler({
            database,
            sources: [],
            mirrorDir: mirror,
            download: FAST_DOWNLOADS,
            ...sync,
          }),
        },
      });

    const openFindings = async () =>
      (await findings.list({ assetId, status: 'open' })).items.map((f) => f.finding.package.name).sort();

    beforeAll(async () => {
      target = await freshTarget(backend);
      database = await openDatabase(target.options);
      queue = new JobQueue(database);
      findings = new FindingRepository(database);
      // The asset and its inventory are stored before any advisory: only the import's findings
      // refresh can give it findings.
      const assets = new AssetRepository(database);
      const now = new Date().toISOString();
      assetId = (
        await assets.upsertFromReport(
          { source: 'sbom', facts: { name: 'web-app', kind: 'application' } },
          now,
        )
      ).asset.id;
      const yarn = await parseInventoryFile(YARN_LOCK);
      const pnpm = await parseInventoryFile(PNPM_LOCK);
      expect(yarn.packages.find((p) => p.name === 'minimist')?.version).toBe('0.0.8');
      expect(pnpm.packages.find((p) => p.name === 'lodash')?.version).toBe('4.17.4');
      await assets.replaceInventory(assetId, [...yarn.packages, ...pnpm.packages], now);
    }, 60_000);
    afterAll(async () => {
      await database?.close();
      await target?.remove();
    });
    beforeEach(async () => {
      server = await startFeedServer();
      mirror = await mkdtemp(join(tmpdir(), 'pw-jobs-mirror-'));
    });
    afterEach(async () => {
      await server.close();
      await rm(mirror, { recursive: true, force: true });
    });

    it('feeds.import stores the advisory and opens findings for an asset inventoried before it', async () => {
      expect(await openFindings()).toEqual([]);
      const { job } = await queue.enqueue(
        { name: FEEDS_IMPORT, payload: { paths: [MINIMIST_ADVISORY] } },
        ALICE,
      );
      const done = (await worker().runOnce()) as Job & { result: any };
      expect(done).toMatchObject({ id: job.id, state: 'succeeded', attempts: 1 });
      expect(done.result.imports).toEqual([
        expect.objectContaining({ path: MINIMIST_ADVISORY, ok: true, inserted: 1 }),
      ]);
      expect(done.result.findings).toMatchObject({
        scope: 'advisories',
        advisories: 1,
        assets: 1,
        opened: 1,
      });
      expect(await openFindings()).toEqual(['minimist']);

      // The same file again: nothing newer, so nothing to recompute.
      await queue.enqueue({ name: FEEDS_IMPORT, payload: { paths: [MINIMIST_ADVISORY] } }, ALICE);
      const again = (await worker().runOnce()) as Job & { result: any };
      expect(again.result.findings).toMatchObject({ scope: 'none', assets: 0 });

      // A path that is not there fails at once: a retry would not find it either.
      await queue.enqueue({ name: FEEDS_IMPORT, payload: { paths: ['/nonexistent/feeds'] } }, ALICE);
      const missing = await worker().runOnce();
      expect(missing).toMatchObject({ state: 'failed', attempts: 1 });
      expect(missing!.error).toContain('/nonexistent/feeds');
    });

    it('feeds.sync downloads over HTTP, keeps going past a failing feed, imports and refreshes findings', async () => {
      const lodash = await readFile(LODASH_ADVISORY);
      server.route(
        '/ghsa/lodash.json',
        serveFile(() => ({ body: lodash, etag: '"lodash-1"' })),
      );
      server.route('/down.json', (_request, response) => void response.writeHead(503).end('maintenance'));
      const sources = [
        { name: 'ghsa-lodash', url: server.url('/ghsa/lodash.json'), file: 'ghsa-lodash.json' },
        { name: 'broken-feed', url: server.url('/down.json'), file: 'broken.json' },
      ];
      await queue.enqueue({ name: FEEDS_SYNC }, ALICE);
      const done = (await worker({ sources }).runOnce()) as Job & { result: any };
      expect(done.state).toBe('succeeded');
      expect(done.result.feeds).toEqual([
        expect.objectContaining({ name: 'ghsa-lodash', status: 'downloaded', ok: true }),
        expect.objectContaining({
          name: 'broken-feed',
          status: 'failed',
          ok: false,
          httpStatus: 503,
          attempts: 2,
        }),
      ]);
      expect(done.result.failedFeeds).toBe(1);
      expect(done.result.imports).toEqual([
        expect.objectContaining({ path: join(mirror, 'ghsa-lodash.json'), ok: true, inserted: 1 }),
      ]);
      expect(done.result.findings).toMatchObject({ scope: 'advisories', opened: 1 });
      expect(await openFindings()).toEqual(['lodash', 'minimist']);
      // The failure is in the feed sync history too.
      const history = await new IntelRepository(database).syncHistory(10);
      expect(history.find((h) => h.feed === 'broken-feed')).toMatchObject({
        ok: false,
        source: server.url('/down.json'),
      });
      expect(history.find((h) => h.feed === 'broken-feed')!.error).toContain('503');

      // Next run: the server says 304, so nothing is read again.
      await queue.enqueue({ name: FEEDS_SYNC }, ALICE);
      const second = (await worker({ sources }).runOnce()) as Job & { result: any };
      expect(second.result.feeds[0]).toMatchObject({ name: 'ghsa-lodash', status: 'not-modified' });
      expect(second.result.imports).toEqual([]);
      expect(second.result.findings).toMatchObject({ scope: 'none' });
      expect(server.requestsTo('/ghsa/lodash.json').at(-1)!.headers['if-none-match']).toBe('"lodash-1"');
    });

    it('feeds.sync offline: every feed fails cleanly, the last good copy stays, the job fails without retry', async () => {
      const lodash = await readFile(LODASH_ADVISORY);
      server.route(
        '/ghsa/lodash.json',
        serveFile(() => ({ body: lodash, etag: '"lodash-1"' })),
      );
      const sources = [
        { name: 'ghsa-lodash', url: server.url('/ghsa/lodash.json'), file: 'ghsa-lodash.json' },
      ];
      await queue.enqueue({ name: FEEDS_SYNC }, ALICE);
      expect(await worker({ sources }).runOnce()).toMatchObject({ state: 'succeeded' });
      // The network goes away: nothing listens on the feed's address any more.
      await server.close();
      await queue.enqueue({ name: FEEDS_SYNC }, ALICE);
      const offline = (await worker({ sources }).runOnce()) as Job & { result: any };
      expect(offline).toMatchObject({ state: 'failed', attempts: 1 });
      expect(offline.error).toContain('every feed failed to download');
      expect(offline.result.feeds[0]).toMatchObject({ ok: false, status: 'failed' });
      expect(offline.result.feeds[0].lastGoodAt).toBeDefined();
      expect(await readFile(join(mirror, 'ghsa-lodash.json'))).toEqual(lodash);
      server = await startFeedServer(); // for afterEach
    });

    it('a stopping worker releases the running job, uncounted, for the next worker', async () => {
      let started!: () => void;
      const running = new Promise<void>((resolve) => (started = resolve));
      const stopping = new JobWorker({
        queue,
        workerId: 'stopping-worker',
        pollMs: 20,
        handlers: {
          'test.wait': (_job, { signal }) =>
            new Promise((_resolve, reject) => {
              started();
              signal.addEventListener('abort', () => reject(new Error('interrupted')));
            }),
        },
      });
      const { job } = await queue.enqueue({ name: 'test.wait' }, ALICE);
      stopping.start();
      await running;
      await stopping.stop(5_000);
      expect(await queue.get(job.id)).toMatchObject({ state: 'queued', attempts: 0 });
      const next = new JobWorker({ queue, handlers: { 'test.wait': async () => ({ finished: true }) } });
      expect(await next.runOnce()).toMatchObject({ id: job.id, state: 'succeeded', attempts: 1 });
    });
  });
}
