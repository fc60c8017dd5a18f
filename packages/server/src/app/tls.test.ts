import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../lifecycle/start-server.ts';
import { buildServer } from './build-server.ts';

interface HttpsAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  authorized: boolean;
}

function httpsGet(url: string, ca?: Buffer): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, servername: 'localhost' }, (res) => {
      // Read now: the socket is detached from the response once it ends.
      const authorized = (res.socket as TLSSocket).authorized;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          authorized,
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

// openssl makes the throw-away certificate; CI machines get it from Debian's `openssl` package.
const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

let dir: string;
let app: FastifyInstance;
let address: string;
let certificate: Buffer;

beforeAll(async () => {
  if (!hasOpenssl) return;
  dir = mkdtempSync(join(tmpdir(), 'pw-tls-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-days',
      '1',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  certificate = readFileSync(certFile);
  app = await buildServer({ logger: false, metrics: { defaultMetrics: false }, tls: { certFile, keyFile } });
  address = await startServer(app, { host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await app?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasOpenssl)('HTTPS from certificate files', () => {
  it('serves the API over TLS to a client that trusts the certificate', async () => {
    expect(address).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const answer = await httpsGet(`${address}/api/v1/version`, certificate);
    expect(answer.authorized).toBe(true);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ name: 'patchwarden', apiVersion: 'v1' });
    expect(answer.headers['strict-transport-security']).toMatch(/^max-age=/);
  });

  it('is refused by a client that does not trust the self-signed certificate', async () => {
    await expect(httpsGet(`${address}/healthz`)).rejects.toMatchObject({
      code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    });
  });
});
