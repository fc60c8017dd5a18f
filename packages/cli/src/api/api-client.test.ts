import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ApiClient, errorFromResponse } from './api-client.ts';
import { parseDuration, wholeUnits, DAY_MS } from './duration.ts';

describe('errorFromResponse', () => {
  it('rebuilds the server error and lifts the first validation issue into field', () => {
    const error = errorFromResponse(
      400,
      JSON.stringify({
        code: 'PW_ERR_VALIDATION',
        message: 'The request does not match its schema',
        details: { issues: [{ path: 'body.exposure', message: 'Invalid option' }] },
      }),
      'http://x/api/v1/assets/1',
    );
    expect(error).toMatchObject({
      code: 'PW_ERR_VALIDATION',
      status: 400,
      details: { field: 'body.exposure' },
    });
    expect(error.message).toBe('The request does not match its schema: Invalid option');
    expect(error.location()).toBe('field body.exposure');
  });

  it('maps bodies that are not ours by status', () => {
    expect(errorFromResponse(401, 'nope', 'u').code).toBe('PW_ERR_UNAUTHENTICATED');
    expect(errorFromResponse(502, '<html>', 'u')).toMatchObject({
      code: 'PW_ERR_INTERNAL',
      details: { status: 502 },
    });
    expect(errorFromResponse(400, JSON.stringify({ code: 'NOT_OURS' }), 'u').code).toBe('PW_ERR_BAD_REQUEST');
  });
});

describe('ApiClient over loopback HTTP', () => {
  it('sends the bearer token and JSON, and throws the server error', async () => {
    const seen: { auth?: string; body: string; url?: string }[] = [];
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        seen.push({ auth: request.headers.authorization, body, url: request.url });
        if (request.url?.startsWith('/api/v1/missing')) {
          response.writeHead(404, { 'content-type': 'application/json' });
          response.end(
            JSON.stringify({ code: 'PW_ERR_NOT_FOUND', message: 'No asset a1', details: { record: 'a1' } }),
          );
          return;
        }
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ ok: true }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = new ApiClient({ server: `http://127.0.0.1:${port}/`, token: 'pwt_x' });
    try {
      expect(
        await client.request('POST', '/things', { body: { a: 1 }, query: { q: 'x y', skip: undefined } }),
      ).toEqual({
        ok: true,
      });
      expect(seen[0]).toEqual({ auth: 'Bearer pwt_x', body: '{"a":1}', url: '/api/v1/things?q=x+y' });
      await expect(client.get('/missing')).rejects.toMatchObject({
        code: 'PW_ERR_NOT_FOUND',
        message: 'No asset a1',
        details: { record: 'a1' },
      });
    } finally {
      await client.close();
      server.close();
    }
    // A port that was just freed: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const freed = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const down = new ApiClient({ server: `http://127.0.0.1:${freed}` });
    await expect(down.get('/x')).rejects.toMatchObject({
      code: 'PW_ERR_BAD_REQUEST',
      details: { reason: 'ECONNREFUSED' },
    });
  });
});

describe('durations', () => {
  it('parses 30d, 12h, 2w and refuses what it cannot read', () => {
    expect(parseDuration('30d', 'x')).toBe(30 * DAY_MS);
    expect(wholeUnits('2w', 'x', DAY_MS, 'days')).toBe(14);
    expect(() => wholeUnits('36h', 'expires-in', DAY_MS, 'days')).toThrow(/whole number of days/);
    expect(() => parseDuration('soon', 'expires-in')).toThrow(
      expect.objectContaining({ code: 'PW_ERR_USAGE' }),
    );
    expect(() => parseDuration('0d', 'expires-in')).toThrow(/positive/);
  });
});

const OPENSSL = ['/usr/bin/openssl', '/bin/openssl'].find((path) => existsSync(path));

describe.skipIf(!OPENSSL)('ApiClient over HTTPS with --ca', () => {
  it('trusts the given CA file and refuses the same server without it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pw-ca-'));
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync(
      OPENSSL!,
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'ignore' },
    );
    const server = createHttpsServer(
      { key: readFileSync(key), cert: readFileSync(cert) },
      (_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{"ok":true}');
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const trusted = new ApiClient({ server: url, caFile: cert });
    try {
      expect(await trusted.get('/version')).toEqual({ ok: true });
      await expect(new ApiClient({ server: url }).get('/version')).rejects.toMatchObject({
        code: 'PW_ERR_BAD_REQUEST',
        details: { reason: 'DEPTH_ZERO_SELF_SIGNED_CERT' },
      });
      expect(() => new ApiClient({ server: url, caFile: join(dir, 'missing.pem') })).toThrow(
        expect.objectContaining({ code: 'PW_ERR_FILE_NOT_FOUND' }),
      );
    } finally {
      await trusted.close();
      server.closeAllConnections();
      server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
