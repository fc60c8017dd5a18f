// Response bodies are read loosely: their schemas are the server's, checked by fastify.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath } from '../../../../test-support/shared-data.ts';
import { BACKENDS } from '../../../store/src/testing/test-database.ts';
import { platformFixture } from '../testing/platform-fixture.ts';
import type { PlatformFixture } from '../testing/platform-fixture.ts';

const MINIMIST_ADVISORY = fixturePath('feeds/GHSA-xvch-5gv4-984h.json');

for (const backend of BACKENDS) {
  describe(`job and feed routes over HTTP (${backend})`, () => {
    let fx: PlatformFixture;
    let mirror: string;
    const tokens: Record<string, string> = {};

    const call = async (who: string, method: string, path: string, body?: unknown) => {
      const response = await fx.app.inject({
        method: method as 'GET' | 'POST',
        url: `/api/v1${path}`,
        headers: { authorization: `Bearer ${tokens[who]}` },
        ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
      });
      return { status: response.statusCode, body: response.json() };
    };

    const settled = async (id: string): Promise<any> => {
      for (let i = 0; i < 200; i++) {
        const { body } = await call('viewer', 'GET', `/jobs/${id}`);
        if (body.state === 'succeeded' || body.state === 'failed') return body;
        await sleep(50);
      }
      throw new Error(`job ${id} did not finish`);
    };

    beforeAll(async () => {
      mirror = await mkdtemp(join(tmpdir(), 'pw-routes-mirror-'));
      // A worker in the app, with no online sources (this machine has no network).
      fx = await platformFixture(backend, {
        worker: { mirrorDir: mirror, feedSync: false, feedSources: [], pollMs: 50 },
        feedImportRoots: [fixturePath('feeds')],
      });
      tokens.admin = await fx.tokenFor('admin');
      tokens.operator = await fx.tokenFor('operator');
      tokens.viewer = await fx.tokenFor('viewer');
    }, 60_000);
    afterAll(async () => {
      await fx?.close();
      await rm(mirror, { recursive: true, force: true });
    });

    it('refuses feed refreshes to a viewer, and reads to the unauthenticated', async () => {
      const sync = await call('viewer', 'POST', '/feeds/sync');
      expect(sync.status).toBe(403);
      expect(sync.body).toMatchObject({ code: 'PW_ERR_FORBIDDEN', details: { permission: 'feeds:sync' } });
      expect((await call('viewer', 'POST', '/feeds/import', { paths: [MINIMIST_ADVISORY] })).status).toBe(
        403,
      );
      const anonymous = await fx.app.inject({ method: 'GET', url: '/api/v1/jobs' });
      expect(anonymous.statusCode).toBe(401);
      expect((await call('viewer', 'GET', '/jobs')).status).toBe(200);
    });

    it('lets an operator queue an import (202), which the worker runs; the job and its audit trail are readable', async () => {
      const queued = await call('operator', 'POST', '/feeds/import', { paths: [MINIMIST_ADVISORY] });
      expect(queued.status).toBe(202);
      expect(queued.body).toMatchObject({ created: true, state: 'queued' });
      const job = await settled(queued.body.jobId);
      expect(job).toMatchObject({ name: 'feeds.import', state: 'succeeded', attempts: 1 });
      expect(job.result.imports[0]).toMatchObject({ path: MINIMIST_ADVISORY, ok: true });

      const listed = await call('viewer', 'GET', '/jobs?name=feeds.import&state=succeeded');
      expect(listed.body.items.map((j: any) => j.id)).toContain(queued.body.jobId);
      expect((await call('viewer', 'GET', '/jobs?state=nonsense')).status).toBe(400);
      expect((await call('viewer', 'GET', '/jobs/00000000-0000-4000-8000-000000000000')).status).toBe(404);

      const audit = await fx.app.platform.audit.query({ targetType: 'job', targetId: queued.body.jobId });
      expect(audit.entries.map((e) => e.action).reverse()).toEqual([
        'job.enqueue',
        'job.start',
        'job.succeed',
      ]);
      expect(audit.entries.at(-1)!.actor).toMatchObject({ kind: 'token' });
    });

    it('rejects an import of relative paths, naming the field', async () => {
      const bad = await call('operator', 'POST', '/feeds/import', { paths: ['feeds/x.json'] });
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body)).toContain('paths');
    });

    it('reads only below the feed import folders, even through ..', async () => {
      const jobs = async () =>
        (await call('viewer', 'GET', '/jobs?name=feeds.import&limit=100')).body.items.length;
      const before = await jobs();
      for (const path of [
        '/etc/shadow',
        `${fixturePath('feeds')}/../kev/known_exploited_vulnerabilities.json.gz`,
      ]) {
        const refused = await call('operator', 'POST', '/feeds/import', { paths: [path] });
        expect(refused.status).toBe(403);
        expect(refused.body).toMatchObject({ details: { field: 'paths', reason: 'outside_import_roots' } });
      }
      expect(await jobs()).toBe(before); // nothing was queued for the refused paths
      const inside = await call('operator', 'POST', '/feeds/import', { paths: [MINIMIST_ADVISORY] });
      expect(inside.status).toBe(202);
      expect(await jobs()).toBe(before + 1);
    });

    it('lets an admin queue a sync (202) and pages the job list', async () => {
      const queued = await call('admin', 'POST', '/feeds/sync');
      expect(queued.status).toBe(202);
      const job = await settled(queued.body.jobId);
      // No sources configured: nothing to download, nothing to refresh.
      expect(job).toMatchObject({
        name: 'feeds.sync',
        state: 'succeeded',
        result: { feeds: [], failedFeeds: 0 },
      });
      const page1 = await call('viewer', 'GET', '/jobs?limit=1');
      expect(page1.body.items).toHaveLength(1);
      expect(page1.body.items[0].id).toBe(queued.body.jobId);
      const page2 = await call('viewer', 'GET', `/jobs?limit=1&cursor=${page1.body.nextCursor}`);
      expect(page2.body.items[0].name).toBe('feeds.import');
    });

    it('describes the routes in the OpenAPI document', async () => {
      const doc = (await fx.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
      const paths = Object.keys(doc.paths);
      for (const path of [
        '/api/v1/jobs',
        '/api/v1/jobs/{id}',
        '/api/v1/feeds/sync',
        '/api/v1/feeds/import',
      ]) {
        expect(paths).toContain(path);
      }
      expect(doc.paths['/api/v1/feeds/sync'].post.responses['202']).toBeDefined();
    });
  });
}
