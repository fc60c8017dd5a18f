import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixturePath } from '../../../../test-support/shared-data.ts';
import { isMirrorBookkeepingFile } from './mirror-metadata.ts';
import { syncFeeds } from './sync-feeds.ts';
import { readMirrorStatus } from './sync-status.ts';
import type { FeedServer } from './test-feed-server.ts';
import { serveFile, startFeedServer } from './test-feed-server.ts';

let server: FeedServer;
let mirror: string;

beforeEach(async () => {
  server = await startFeedServer();
  mirror = await mkdtemp(join(tmpdir(), 'pw-status-'));
});

afterEach(async () => {
  await server.close();
  await rm(mirror, { recursive: true, force: true });
});

describe('readMirrorStatus', () => {
  it('reports what a real sync left in the mirror, and notices files changed behind its back', async () => {
    const kev = await readFile(fixturePath('kev/known_exploited_vulnerabilities.json.gz'));
    const go = await readFile(fixturePath('feeds/golang-vulndb-osv.jsonl.gz'));
    server.route(
      '/kev',
      serveFile(() => ({ body: kev, etag: '"k"', lastModified: 'Mon, 25 Aug 2025 18:00:00 GMT' })),
    );
    server.route(
      '/go',
      serveFile(() => ({ body: go })),
    );
    server.route(
      '/alma',
      serveFile(() => ({ body: go })),
    );
    const sources = [
      { name: 'cisa-kev', url: server.url('/kev'), file: 'kev.json.gz' },
      { name: 'osv-go', url: server.url('/go'), file: 'go.jsonl.gz' },
      { name: 'osv-alma', url: server.url('/alma'), file: 'alma.jsonl.gz' },
    ];
    const now = () => new Date('2025-08-26T10:00:00Z');
    await syncFeeds(sources, mirror, { backoffMs: 1, now });
    const never = { name: 'epss', url: 'https://epss.example/x.csv.gz', file: 'epss.csv.gz' };

    expect(await readMirrorStatus(mirror, [...sources, never])).toEqual([
      {
        name: 'cisa-kev',
        file: 'kev.json.gz',
        state: 'ok',
        url: sources[0]?.url,
        bytes: kev.length,
        bytesOnDisk: kev.length,
        etag: '"k"',
        lastModified: 'Mon, 25 Aug 2025 18:00:00 GMT',
        downloadedAt: '2025-08-26T10:00:00.000Z',
        checkedAt: '2025-08-26T10:00:00.000Z',
      },
      { name: 'epss', file: 'epss.csv.gz', state: 'never-synced', url: never.url },
      expect.objectContaining({ name: 'osv-alma', state: 'ok', bytes: go.length }),
      expect.objectContaining({ name: 'osv-go', state: 'ok', bytes: go.length }),
    ]);

    await truncate(join(mirror, 'go.jsonl.gz'), 10);
    await rm(join(mirror, 'alma.jsonl.gz'));
    await writeFile(join(mirror, 'kev.json.gz.meta.json'), '{ "half": ');
    const after = await readMirrorStatus(mirror, sources);
    expect(after.map((e) => [e.name, e.state, e.bytesOnDisk])).toEqual([
      ['cisa-kev', 'unreadable-metadata', kev.length],
      ['osv-alma', 'missing-file', undefined],
      ['osv-go', 'size-mismatch', 10],
    ]);
    expect(after[0]?.problem).toMatch(/not JSON/);
  });

  it('reports an empty list for a mirror directory that does not exist yet', async () => {
    expect(await readMirrorStatus(join(mirror, 'not-yet'))).toEqual([]);
  });

  it('marks its bookkeeping files so importers can skip them', () => {
    expect(isMirrorBookkeepingFile('kev.json.meta.json')).toBe(true);
    expect(isMirrorBookkeepingFile('osv-debian-all.zip.partial')).toBe(true);
    expect(isMirrorBookkeepingFile('osv-debian-all.zip')).toBe(false);
    expect(isMirrorBookkeepingFile('known_exploited_vulnerabilities.json')).toBe(false);
  });
});
