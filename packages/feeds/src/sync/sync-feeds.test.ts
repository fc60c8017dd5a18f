import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fixturePath } from '../../../../test-support/shared-data.ts';
import type { FeedSource } from './feed-sources.ts';
import type { MirrorMetadata } from './mirror-metadata.ts';
import { syncFeeds } from './sync-feeds.ts';
import type { FeedServer } from './test-feed-server.ts';
import { failFirst, serveFile, startFeedServer } from './test-feed-server.ts';

const KEV = fixturePath('kev/known_exploited_vulnerabilities.json.gz');
const GO_OSV = fixturePath('feeds/golang-vulndb-osv.jsonl.gz');
const PYPA_OSV = fixturePath('feeds/pypa-advisory-database-osv.jsonl.gz');

let kev: Buffer;
let goOsv: Buffer;
let pypaOsv: Buffer;
let server: FeedServer;
let mirror: string;

beforeAll(async () => {
  [kev, goOsv, pypaOsv] = await Promise.all([readFile(KEV), readFile(GO_OSV), readFile(PYPA_OSV)]);
});

beforeEach(async () => {
  server = await startFeedServer();
  mirror = await mkdtemp(join(tmpdir(), 'pw-sync-'));
});

afterEach(async () => {
  await server.close();
  await rm(mirror, { recursive: true, force: true });
});

/** A clock that moves one minute per reading, so each sync's timestamps differ. */
function steppingClock(start = Date.parse('2025-08-26T10:00:00Z')): () => Date {
  let minutes = 0;
  return () => new Date(start + 60_000 * minutes++);
}

const FAST = { backoffMs: 5, timeoutMs: 2000 } as const;

function source(name: string, path: string, file = `${name}.bin`): FeedSource {
  return { name, url: server.url(path), file };
}

async function readMeta(file: string): Promise<MirrorMetadata> {
  return JSON.parse(await readFile(join(mirror, `${file}.meta.json`), 'utf8')) as MirrorMetadata;
}

async function mirrorListing(): Promise<string[]> {
  return (await readdir(mirror)).sort();
}

/** Serves KEV, then lets the test replace the route; returns the synced source and its bytes' path. */
async function syncGoodKev(): Promise<FeedSource> {
  server.route(
    '/kev.json.gz',
    serveFile(() => ({ body: kev, etag: '"kev-1"', lastModified: 'Mon, 25 Aug 2025 18:00:00 GMT' })),
  );
  const kevSource = source('cisa-kev', '/kev.json.gz', 'known_exploited_vulnerabilities.json.gz');
  const [first] = await syncFeeds([kevSource], mirror, { ...FAST, now: steppingClock() });
  expect(first?.status).toBe('downloaded');
  return kevSource;
}

describe('syncFeeds over real HTTP on 127.0.0.1', () => {
  it('downloads, then gets 304 and leaves the file untouched, then downloads again when the ETag changes', async () => {
    let served = { body: kev, etag: '"kev-2025.08.25"', lastModified: 'Mon, 25 Aug 2025 18:00:00 GMT' };
    server.route(
      '/kev.json.gz',
      serveFile(() => served),
    );
    const sources = [source('cisa-kev', '/kev.json.gz', 'known_exploited_vulnerabilities.json.gz')];
    const target = join(mirror, 'known_exploited_vulnerabilities.json.gz');
    const clock = steppingClock();
    const progress: [string, number, number | undefined][] = [];

    const started = performance.now();
    const [first] = await syncFeeds(sources, mirror, {
      ...FAST,
      now: clock,
      onProgress: (name, bytes, total) => progress.push([name, bytes, total]),
    });
    const firstMs = performance.now() - started;
    expect(first).toMatchObject({
      name: 'cisa-kev',
      ok: true,
      status: 'downloaded',
      httpStatus: 200,
      bytes: kev.length,
      etag: '"kev-2025.08.25"',
      lastModified: 'Mon, 25 Aug 2025 18:00:00 GMT',
      attempts: 1,
    });
    expect(first?.lastGoodAt).toBe(first?.fetchedAt);
    expect((await readFile(target)).equals(kev)).toBe(true);
    expect(await mirrorListing()).toEqual([
      'known_exploited_vulnerabilities.json.gz',
      'known_exploited_vulnerabilities.json.gz.meta.json',
    ]);
    expect(progress[0]).toEqual(['cisa-kev', 0, undefined]);
    expect(progress.at(-1)).toEqual(['cisa-kev', kev.length, kev.length]);
    expect(server.requests[0]?.headers['if-none-match']).toBeUndefined();
    console.info(`[sync] first sync: ${kev.length} bytes of KEV in ${firstMs.toFixed(0)} ms`);

    const before = await stat(target);
    const metaBefore = await readMeta('known_exploited_vulnerabilities.json.gz');
    const [second] = await syncFeeds(sources, mirror, { ...FAST, now: clock });
    expect(second).toMatchObject({
      ok: true,
      status: 'not-modified',
      httpStatus: 304,
      bytes: kev.length,
      attempts: 1,
    });
    const conditional = server.requests[1]?.headers;
    expect(conditional?.['if-none-match']).toBe('"kev-2025.08.25"');
    expect(conditional?.['if-modified-since']).toBe('Mon, 25 Aug 2025 18:00:00 GMT');
    const after = await stat(target);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(after.ino).toBe(before.ino);
    expect((await readFile(target)).equals(kev)).toBe(true);
    const metaAfter = await readMeta('known_exploited_vulnerabilities.json.gz');
    expect(metaAfter.downloadedAt).toBe(metaBefore.downloadedAt);
    expect(metaAfter.checkedAt > metaBefore.checkedAt).toBe(true);
    expect(second?.lastGoodAt).toBe(metaAfter.checkedAt);

    served = { body: goOsv, etag: '"go-osv-1"', lastModified: 'Tue, 26 Aug 2025 06:00:00 GMT' };
    const [third] = await syncFeeds(sources, mirror, { ...FAST, now: clock });
    expect(third).toMatchObject({ status: 'downloaded', bytes: goOsv.length, etag: '"go-osv-1"' });
    expect(server.requests[2]?.headers['if-none-match']).toBe('"kev-2025.08.25"');
    expect((await readFile(target)).equals(goOsv)).toBe(true);
    expect(await readMeta('known_exploited_vulnerabilities.json.gz')).toMatchObject({
      bytes: goOsv.length,
      etag: '"go-osv-1"',
      lastModified: 'Tue, 26 Aug 2025 06:00:00 GMT',
    });
  });

  it('uses Last-Modified alone when the server gives no ETag', async () => {
    server.route(
      '/pypa',
      serveFile(() => ({ body: pypaOsv, lastModified: 'Tue, 26 Aug 2025 06:00:00 GMT' })),
    );
    const sources = [source('osv-pypi', '/pypa')];
    await syncFeeds(sources, mirror, FAST);
    const [second] = await syncFeeds(sources, mirror, FAST);
    expect(second?.status).toBe('not-modified');
    expect(server.requests[1]?.headers['if-none-match']).toBeUndefined();
    expect(server.requests[1]?.headers['if-modified-since']).toBe('Tue, 26 Aug 2025 06:00:00 GMT');
  });

  it('retries 500 twice, then succeeds on the third attempt', async () => {
    server.route(
      '/go',
      failFirst(
        2,
        500,
        serveFile(() => ({ body: goOsv, etag: '"go"' })),
      ),
    );
    const [status] = await syncFeeds([source('osv-go', '/go')], mirror, { ...FAST, retries: 3 });
    expect(status).toMatchObject({ ok: true, status: 'downloaded', attempts: 3, httpStatus: 200 });
    expect(server.requestsTo('/go')).toHaveLength(3);
    expect((await readFile(join(mirror, 'osv-go.bin'))).equals(goOsv)).toBe(true);
  });

  it('waits out a short Retry-After on 429 and 503', async () => {
    server.route(
      '/epss',
      failFirst(
        1,
        429,
        failFirst(
          1,
          503,
          serveFile(() => ({ body: kev })),
        ),
        { 'retry-after': '0' },
      ),
    );
    const [status] = await syncFeeds([source('epss', '/epss')], mirror, FAST);
    expect(status).toMatchObject({ ok: true, attempts: 3 });
  });

  it('fails at once, without waiting, when Retry-After is longer than allowed', async () => {
    server.route('/busy', (_request, response) => response.writeHead(503, { 'retry-after': '3600' }).end());
    const started = performance.now();
    const [status] = await syncFeeds([source('busy', '/busy')], mirror, { ...FAST, maxRetryAfterMs: 10_000 });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(status).toMatchObject({ ok: false, status: 'failed', httpStatus: 503, attempts: 1 });
    expect(status?.error).toMatch(/HTTP 503.*retry after 3600 s/);
  });

  it('does not retry a 404', async () => {
    const [status] = await syncFeeds([source('gone', '/gone')], mirror, { ...FAST, retries: 5 });
    expect(status).toMatchObject({ ok: false, status: 'failed', httpStatus: 404, attempts: 1 });
    expect(server.requestsTo('/gone')).toHaveLength(1);
    expect(await mirrorListing()).toEqual([]);
  });

  it('keeps the last good file and its metadata byte-identical when the server always fails', async () => {
    const kevSource = await syncGoodKev();
    const target = join(mirror, kevSource.file);
    const metaText = await readFile(join(mirror, `${kevSource.file}.meta.json`), 'utf8');
    const goodMeta = JSON.parse(metaText) as MirrorMetadata;
    const goodStat = await stat(target);

    server.route('/kev.json.gz', (_request, response) => response.writeHead(500).end('down'));
    const [status] = await syncFeeds([kevSource], mirror, { ...FAST, retries: 2 });
    expect(status).toMatchObject({
      ok: false,
      status: 'failed',
      httpStatus: 500,
      attempts: 3,
      bytes: kev.length,
      lastGoodAt: goodMeta.checkedAt,
    });
    expect(status?.error).toContain('HTTP 500');
    expect(status?.error).toContain(kevSource.url);
    expect((await readFile(target)).equals(kev)).toBe(true);
    expect((await stat(target)).mtimeMs).toBe(goodStat.mtimeMs);
    expect(await readFile(join(mirror, `${kevSource.file}.meta.json`), 'utf8')).toBe(metaText);
    expect(await mirrorListing()).toEqual([kevSource.file, `${kevSource.file}.meta.json`]);
  });

  it('fails a truncated body (socket closed before Content-Length), keeping the good file and no .partial', async () => {
    const kevSource = await syncGoodKev();
    const metaText = await readFile(join(mirror, `${kevSource.file}.meta.json`), 'utf8');
    server.route('/kev.json.gz', (_request, response) => {
      response.writeHead(200, { 'content-length': String(goOsv.length), etag: '"new"' });
      response.write(goOsv.subarray(0, Math.floor(goOsv.length / 2)), () => response.socket?.destroy());
    });
    const [status] = await syncFeeds([kevSource], mirror, { ...FAST, retries: 1 });
    expect(status).toMatchObject({ ok: false, status: 'failed', attempts: 2, httpStatus: 200 });
    expect(status?.error).toMatch(/reading the body failed|Content-Length/);
    expect((await readFile(join(mirror, kevSource.file))).equals(kev)).toBe(true);
    expect(await readFile(join(mirror, `${kevSource.file}.meta.json`), 'utf8')).toBe(metaText);
    expect(existsSync(join(mirror, `${kevSource.file}.partial`))).toBe(false);
    expect(await mirrorListing()).toEqual([kevSource.file, `${kevSource.file}.meta.json`]);
  });

  it('fails a server that never answers within the timeout bound', async () => {
    server.route('/silent', () => undefined);
    const timeoutMs = 300;
    const retries = 1;
    const started = performance.now();
    const [status] = await syncFeeds([source('silent', '/silent')], mirror, {
      backoffMs: 5,
      timeoutMs,
      retries,
    });
    const elapsed = performance.now() - started;
    console.info(
      `[sync] silent server: failed after ${status?.attempts} attempts in ${elapsed.toFixed(0)} ms`,
    );
    expect(status).toMatchObject({ ok: false, status: 'failed', attempts: 2 });
    expect(status?.httpStatus).toBeUndefined();
    expect(status?.error).toMatch(/timed out/);
    expect(elapsed).toBeGreaterThanOrEqual((retries + 1) * timeoutMs - 50);
    expect(elapsed).toBeLessThan((retries + 1) * timeoutMs + 1500);
    expect(await mirrorListing()).toEqual([]);
  });

  it('fails a body that stalls part-way, and removes the .partial', async () => {
    server.route('/stall', (_request, response) => {
      response.writeHead(200, { 'content-length': String(goOsv.length) });
      response.write(goOsv.subarray(0, 100_000));
    });
    const started = performance.now();
    const [status] = await syncFeeds([source('stall', '/stall')], mirror, {
      backoffMs: 5,
      timeoutMs: 300,
      retries: 0,
    });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(status).toMatchObject({ ok: false, status: 'failed', attempts: 1, httpStatus: 200 });
    expect(status?.error).toMatch(/timed out/);
    expect(await mirrorListing()).toEqual([]);
  });

  it('one failing source does not stop the next, and sources are fetched one at a time in order', async () => {
    server.route('/down', (_request, response) => response.writeHead(502).end());
    server.route(
      '/go',
      serveFile(() => ({ body: goOsv })),
    );
    server.route(
      '/pypa',
      serveFile(() => ({ body: pypaOsv })),
    );
    const statuses = await syncFeeds(
      [source('down', '/down'), source('osv-go', '/go'), source('osv-pypi', '/pypa')],
      mirror,
      { ...FAST, retries: 1 },
    );
    expect(statuses.map((s) => [s.name, s.status])).toEqual([
      ['down', 'failed'],
      ['osv-go', 'downloaded'],
      ['osv-pypi', 'downloaded'],
    ]);
    expect(server.requests.map((r) => r.path)).toEqual(['/down', '/down', '/go', '/pypa']);
    expect((await readFile(join(mirror, 'osv-pypi.bin'))).equals(pypaOsv)).toBe(true);
  });

  it('stores what fetch decodes when the server sends Content-Encoding: gzip', async () => {
    server.route(
      '/kev.json',
      serveFile(() => ({
        body: kev,
        headers: { 'content-encoding': 'gzip', 'content-type': 'application/json' },
      })),
    );
    const [status] = await syncFeeds([source('cisa-kev', '/kev.json', 'kev.json')], mirror, FAST);
    const json = gunzipSync(kev);
    expect(status).toMatchObject({ ok: true, bytes: json.length });
    expect((await readFile(join(mirror, 'kev.json'))).equals(json)).toBe(true);
  });

  it('follows a redirect, as the EPSS "current" URL answers with one', async () => {
    server.route('/epss_scores-current.csv.gz', (_request, response) =>
      response.writeHead(302, { location: '/epss_scores-2023-03-07.csv.gz' }).end(),
    );
    const epss = await readFile(fixturePath('epss/vuls-data-update__epss_scores-2023-03-07.csv.gz'));
    server.route(
      '/epss_scores-2023-03-07.csv.gz',
      serveFile(() => ({ body: epss, etag: '"e"' })),
    );
    const [status] = await syncFeeds(
      [source('epss', '/epss_scores-current.csv.gz', 'epss.csv.gz')],
      mirror,
      FAST,
    );
    expect(status).toMatchObject({ ok: true, status: 'downloaded', etag: '"e"' });
    expect((await readFile(join(mirror, 'epss.csv.gz'))).equals(epss)).toBe(true);
  });

  it('fetches in full, without validators, when the mirrored file was changed or deleted by hand', async () => {
    const kevSource = await syncGoodKev();
    await writeFile(join(mirror, kevSource.file), 'edited');
    const [edited] = await syncFeeds([kevSource], mirror, FAST);
    expect(edited?.status).toBe('downloaded');
    await rm(join(mirror, kevSource.file));
    const [deleted] = await syncFeeds([kevSource], mirror, FAST);
    expect(deleted?.status).toBe('downloaded');
    const [, second, third] = server.requestsTo('/kev.json.gz');
    expect(second?.headers['if-none-match']).toBeUndefined();
    expect(third?.headers['if-none-match']).toBeUndefined();
    expect((await readFile(join(mirror, kevSource.file))).equals(kev)).toBe(true);
  });

  it('streams a multi-megabyte chunked body (no Content-Length), reporting progress about once per MiB', async () => {
    const copies = 5;
    server.route('/big', (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      let sent = 0;
      const next = () => {
        if (sent++ === copies) return void response.end();
        response.write(goOsv, next);
      };
      next();
    });
    const progress: [number, number | undefined][] = [];
    const [status] = await syncFeeds([source('big', '/big')], mirror, {
      ...FAST,
      onProgress: (_name, bytes, total) => progress.push([bytes, total]),
    });
    const size = goOsv.length * copies;
    expect(status).toMatchObject({ ok: true, bytes: size });
    expect((await stat(join(mirror, 'big.bin'))).size).toBe(size);
    expect(progress.at(-1)).toEqual([size, undefined]);
    expect(progress.length).toBeGreaterThanOrEqual(4);
    expect(progress.length).toBeLessThanOrEqual(Math.ceil(size / 2 ** 20) + 2);
    for (let i = 1; i < progress.length; i++) {
      expect(progress[i]![0] - progress[i - 1]![0]).toBeGreaterThanOrEqual(
        i === progress.length - 1 ? 1 : 2 ** 20,
      );
    }
  });

  it('fails a body shorter than its Content-Length even when the transport does not notice (injected fetch)', async () => {
    const kevSource = await syncGoodKev();
    const shortFetch: typeof fetch = async () =>
      new Response(new Uint8Array(goOsv.subarray(0, 1000)), {
        status: 200,
        headers: { 'content-length': String(goOsv.length), etag: '"short"' },
      });
    const [status] = await syncFeeds([kevSource], mirror, { ...FAST, retries: 1, fetch: shortFetch });
    expect(status).toMatchObject({ ok: false, status: 'failed', attempts: 2 });
    expect(status?.error).toContain(`body has 1000 bytes, Content-Length said ${goOsv.length}`);
    expect((await readFile(join(mirror, kevSource.file))).equals(kev)).toBe(true);
    expect(await mirrorListing()).toEqual([kevSource.file, `${kevSource.file}.meta.json`]);
  });

  it('fails a connection refused with the cause in the error', async () => {
    const url = server.url('/closed');
    await server.close();
    server = await startFeedServer();
    const [status] = await syncFeeds([{ name: 'closed', url, file: 'closed.bin' }], mirror, {
      ...FAST,
      retries: 1,
    });
    expect(status).toMatchObject({ ok: false, attempts: 2 });
    expect(status?.error).toMatch(/ECONNREFUSED/);
  });

  it('does not retry a host name that does not resolve (an offline machine), but retries EAI_AGAIN', async () => {
    const dnsFailure = (code: string): typeof fetch =>
      (async () => {
        throw new TypeError('fetch failed', {
          cause: Object.assign(new Error(`getaddrinfo ${code} feeds.example.invalid`), { code }),
        });
      }) as unknown as typeof fetch;
    const source = { name: 'offline', url: 'https://feeds.example.invalid/x.json', file: 'offline.json' };
    const [missing] = await syncFeeds([source], mirror, {
      ...FAST,
      retries: 3,
      fetch: dnsFailure('ENOTFOUND'),
    });
    expect(missing).toMatchObject({ ok: false, attempts: 1 });
    expect(missing?.error).toMatch(/ENOTFOUND/);
    const [flaky] = await syncFeeds([source], mirror, {
      ...FAST,
      retries: 2,
      fetch: dnsFailure('EAI_AGAIN'),
    });
    expect(flaky).toMatchObject({ ok: false, attempts: 3 });
  });

  it('refuses clashing or unsafe sources before fetching anything', async () => {
    const a = source('a', '/a', 'same.bin');
    await expect(syncFeeds([a, { ...a, name: 'b' }], mirror)).rejects.toMatchObject({
      code: 'PW_ERR_INVALID_RECORD',
      details: { field: '[1].file' },
    });
    await expect(syncFeeds([{ ...a, file: '../escape' }], mirror)).rejects.toMatchObject({
      code: 'PW_ERR_INVALID_RECORD',
      details: { field: '[0].file' },
    });
    expect(server.requests).toHaveLength(0);
  });
});
