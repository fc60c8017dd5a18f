import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PatchwardenError } from '@patchwarden/core';
import type { TestPki } from '../testing/test-pki.ts';
import { hasOpenssl, makeTestPki } from '../testing/test-pki.ts';
import { parsePin } from './certificate-pin.ts';
import { JsonClient, parseRetryAfter } from './json-client.ts';
import { isLoopbackHost, parseServerUrl } from './server-url.ts';
import { AgentTransportError } from './transport-error.ts';

const USER_AGENT = 'patchwarden-agent/test';

/** Echoes each request; counts requests that reached HTTP (a refused TLS peer never does). */
function echoHandler(seen: { count: number; authorization: (string | undefined)[] }) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    seen.count++;
    seen.authorization.push(req.headers.authorization);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/slow') return; // never answers
      if (req.url === '/busy') {
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' });
        return res.end(
          JSON.stringify({ code: 'PW_ERR_RATE_LIMITED', message: 'slow down', details: { limit: 1 } }),
        );
      }
      if (req.url === '/html') {
        res.writeHead(502, { 'content-type': 'text/html' });
        return res.end('<h1>Bad gateway</h1>');
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          path: req.url,
          method: req.method,
          body: JSON.parse(Buffer.concat(chunks).toString() || 'null'),
        }),
      );
    });
  };
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function rejection(promise: Promise<unknown>): Promise<AgentTransportError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof AgentTransportError, `expected an AgentTransportError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the request to fail');
}

describe('server URL rules', () => {
  it('refuses plain http:// to any host that is not loopback', () => {
    for (const url of [
      'http://patchwarden.example:8443',
      'http://192.0.2.10',
      'http://10.0.0.1:80',
      'http://[2001:db8::1]:8080',
      'http://128.0.0.1',
      'http://localhost.example.com',
    ]) {
      assert.throws(
        () => new JsonClient({ server: url, userAgent: USER_AGENT }),
        (e: unknown) =>
          e instanceof PatchwardenError &&
          e.code === 'PW_ERR_USAGE' &&
          /http:\/\/ is refused/.test(e.message),
        url,
      );
    }
  });

  it('accepts http:// to 127.0.0.0/8, ::1 and localhost, and https:// anywhere', () => {
    for (const url of [
      'http://127.0.0.1:8080',
      'http://127.8.9.10',
      'http://[::1]:9',
      'http://localhost:1',
      'https://patchwarden.example',
    ]) {
      assert.doesNotThrow(() => parseServerUrl(url), url);
    }
    assert.equal(isLoopbackHost('[::1]'), true);
    assert.equal(isLoopbackHost('LOCALHOST'), true);
    assert.equal(isLoopbackHost('127.0.0.1.nip.io'), false);
  });

  it('refuses other schemes, credentials in the URL and queries', () => {
    for (const url of [
      'ftp://127.0.0.1',
      'https://user:pw@h.example',
      'https://h.example/?x=1',
      'not a url',
    ]) {
      assert.throws(() => parseServerUrl(url), PatchwardenError, url);
    }
  });
});

describe('pin syntax', () => {
  it('reads base64 SPKI hashes and hex certificate fingerprints, and nothing else', () => {
    const spki = parsePin('sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=');
    assert.equal(spki.kind, 'spki');
    assert.equal(spki.sha256.length, 32);
    const cert = parsePin('AB:'.repeat(31) + 'AB');
    assert.equal(cert.kind, 'certificate');
    assert.equal(cert.sha256.length, 32);
    assert.equal(parsePin('ab'.repeat(32)).kind, 'certificate');
    for (const bad of ['', 'abc', 'sha1//AAAA', 'ab'.repeat(20)])
      assert.throws(() => parsePin(bad), PatchwardenError, bad);
  });

  it('reads Retry-After as seconds or as a date', () => {
    assert.equal(parseRetryAfter('120'), 120_000);
    assert.equal(
      parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT')),
      10_000,
    );
    assert.equal(parseRetryAfter('soon'), undefined);
  });
});

describe('plain HTTP on loopback', () => {
  const seen = { count: 0, authorization: [] as (string | undefined)[] };
  const server = createHttpServer(echoHandler(seen));
  let base = '';
  before(async () => {
    base = `http://127.0.0.1:${await listen(server)}`;
  });
  after(() => server.close());

  it('sends JSON with the bearer credential and reads the JSON answer', async () => {
    const client = new JsonClient({ server: base, userAgent: USER_AGENT });
    const res = await client.send({
      method: 'PUT',
      path: '/agent/v1/inventory',
      body: { a: 1 },
      bearer: 'tok',
    });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { path: '/agent/v1/inventory', method: 'PUT', body: { a: 1 } });
    assert.equal(seen.authorization.at(-1), 'Bearer tok');
  });

  it('keeps a path prefix of the server URL (a reverse proxy mount)', async () => {
    const client = new JsonClient({ server: `${base}/patchwarden/`, userAgent: USER_AGENT });
    const res = await client.send({ method: 'POST', path: '/agent/v1/checkin', body: {} });
    assert.equal((res.body as { path: string }).path, '/patchwarden/agent/v1/checkin');
  });

  it("turns a server's structured error into a typed error with its code, details and Retry-After", async () => {
    const client = new JsonClient({ server: base, userAgent: USER_AGENT });
    const error = await rejection(client.send({ method: 'POST', path: '/busy', body: {} }));
    assert.equal(error.failure, 'http');
    assert.equal(error.status, 429);
    assert.equal(error.code, 'PW_ERR_RATE_LIMITED');
    assert.equal(error.retryAfterMs, 7_000);
    assert.equal(error.transient, true);
    assert.deepEqual(error.details.server, { limit: 1 });
    const html = await rejection(client.send({ method: 'POST', path: '/html', body: {} }));
    assert.equal(html.code, 'PW_ERR_AGENT_HTTP_502');
    assert.equal(html.transient, true);
  });

  it('times out a server that never answers', async () => {
    const client = new JsonClient({ server: base, userAgent: USER_AGENT, timeoutMs: 200 });
    const started = performance.now();
    const error = await rejection(client.send({ method: 'POST', path: '/slow', body: {} }));
    assert.equal(error.failure, 'timeout');
    assert.ok(performance.now() - started < 2_000);
  });

  it('reports a refused connection as unreachable (transient)', async () => {
    const closed = createHttpServer();
    const port = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    const client = new JsonClient({ server: `http://127.0.0.1:${port}`, userAgent: USER_AGENT });
    const error = await rejection(client.send({ method: 'POST', path: '/x', body: {} }));
    assert.equal(error.failure, 'unreachable');
    assert.equal(error.code, 'PW_ERR_AGENT_UNREACHABLE');
    assert.equal(error.transient, true);
  });

  it('stops at once when its signal aborts', async () => {
    const client = new JsonClient({ server: base, userAgent: USER_AGENT, timeoutMs: 10_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await rejection(
      client.send({ method: 'POST', path: '/slow', body: {}, signal: controller.signal }),
    );
    assert.equal(error.failure, 'aborted');
  });
});

describe(
  'HTTPS with a certificate made by openssl for this run',
  { skip: !hasOpenssl() && 'openssl not installed' },
  () => {
    const seen = { count: 0, authorization: [] as (string | undefined)[] };
    const dir = mkdtempSync(join(tmpdir(), 'pw-agent-tls-'));
    let pki: TestPki;
    let server: Server;
    let base = '';
    before(async () => {
      pki = makeTestPki(dir);
      server = createHttpsServer({ key: pki.serverKeyPem, cert: pki.serverCertPem }, echoHandler(seen));
      base = `https://127.0.0.1:${await listen(server)}`;
    });
    after(() => {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const send = (client: JsonClient) =>
      client.send({
        method: 'POST',
        path: '/agent/v1/checkin',
        body: { hi: 1 },
        bearer: 'secret-credential',
      });

    it('accepts the server when its CA is given', async () => {
      const res = await send(new JsonClient({ server: base, userAgent: USER_AGENT, tls: { ca: pki.caPem } }));
      assert.equal(res.status, 200);
      const byName = await send(
        new JsonClient({
          server: base.replace('127.0.0.1', 'localhost'),
          userAgent: USER_AGENT,
          tls: { ca: pki.caPem },
        }),
      );
      assert.equal(byName.status, 200);
    });

    it('rejects the server under the system CAs and under a CA that did not sign it, before sending anything', async () => {
      const before = seen.count;
      for (const tls of [{}, { ca: pki.otherCaPem }]) {
        const error = await rejection(send(new JsonClient({ server: base, userAgent: USER_AGENT, tls })));
        assert.equal(error.failure, 'tls');
        assert.equal(error.code, 'PW_ERR_AGENT_TLS');
        assert.equal(error.transient, false);
      }
      assert.equal(seen.count, before, 'no request reached the server');
    });

    it('accepts the server by its pinned key (SPKI) or certificate fingerprint alone, with no CA', async () => {
      for (const pin of [pki.serverSpkiPin, `sha256//${pki.serverSpkiPin}`, pki.serverCertFingerprint]) {
        const res = await send(
          new JsonClient({ server: base, userAgent: USER_AGENT, tls: { pins: [parsePin(pin)] } }),
        );
        assert.equal(res.status, 200, pin);
      }
      // A rollover list: the first pin is the next key, the second the current one.
      const rollover = [
        parsePin('47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='),
        parsePin(pki.serverSpkiPin),
      ];
      assert.equal(
        (await send(new JsonClient({ server: base, userAgent: USER_AGENT, tls: { pins: rollover } }))).status,
        200,
      );
    });

    it('gives up on a peer that accepts the connection but never completes the TLS handshake, and closes it', async () => {
      const peers: Socket[] = [];
      const closed: Promise<void>[] = [];
      const silent = createTcpServer((socket) => {
        peers.push(socket);
        socket.resume(); // read (and ignore) the ClientHello, so that the client closing is seen
        closed.push(new Promise((resolve) => socket.on('close', () => resolve())));
      });
      const port = await new Promise<number>((resolve) =>
        silent.listen(0, '127.0.0.1', () => resolve((silent.address() as AddressInfo).port)),
      );
      try {
        const client = new JsonClient({
          server: `https://127.0.0.1:${port}`,
          userAgent: USER_AGENT,
          timeoutMs: 200,
          tls: { pins: [parsePin(pki.serverSpkiPin)] },
        });
        const error = await rejection(client.send({ method: 'POST', path: '/x', body: {} }));
        assert.equal(error.failure, 'timeout');
        assert.equal(peers.length, 1);
        await Promise.race([
          Promise.all(closed),
          new Promise((_, reject) =>
            setTimeout(() => reject(new Error('the stalled connection was left open')), 2_000),
          ),
        ]);
      } finally {
        silent.close();
      }
    });

    it('rejects a wrong pin without writing the credential to the server', async () => {
      const before = seen.count;
      const wrongPins = [
        '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=',
        pki.serverCertFingerprint.replace(/^../, pki.serverCertFingerprint.startsWith('00') ? '11' : '00'),
      ];
      for (const pin of wrongPins) {
        const error = await rejection(
          send(new JsonClient({ server: base, userAgent: USER_AGENT, tls: { pins: [parsePin(pin)] } })),
        );
        assert.equal(error.failure, 'tls', pin);
        assert.equal(error.details.reason, 'PIN_MISMATCH');
      }
      // The CA is right but the pin is not: both must hold.
      const both = await rejection(
        send(
          new JsonClient({
            server: base,
            userAgent: USER_AGENT,
            tls: { ca: pki.caPem, pins: [parsePin(wrongPins[0]!)] },
          }),
        ),
      );
      assert.equal(both.details.reason, 'PIN_MISMATCH');
      assert.equal(seen.count, before, 'no request reached the server');
      assert.ok(!seen.authorization.slice(before).includes('Bearer secret-credential'));
    });
  },
);
