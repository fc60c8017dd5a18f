import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Certificates made by the real `openssl` for one test run; pins computed by openssl too, not by our code. */
export interface TestPki {
  caPem: string;
  /** A CA that did not sign the server certificate. */
  otherCaPem: string;
  serverCertPem: string;
  serverKeyPem: string;
  /** base64 SHA-256 of the server key's SubjectPublicKeyInfo (`openssl pkey -pubout -outform DER | dgst`). */
  serverSpkiPin: string;
  /** `openssl x509 -fingerprint -sha256`, colon-separated hex. */
  serverCertFingerprint: string;
  caFile: string;
  otherCaFile: string;
}

export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function makeTestPki(dir: string): TestPki {
  const openssl = (args: string[], input?: Buffer): Buffer =>
    execFileSync('openssl', args, { cwd: dir, input, stdio: ['pipe', 'pipe', 'pipe'] });
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl([
    'req',
    '-x509',
    ...ecKey,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=Patchwarden test CA',
  ]);
  openssl([
    'req',
    '-x509',
    ...ecKey,
    '-keyout',
    'other.key',
    '-out',
    'other.pem',
    '-days',
    '2',
    '-subj',
    '/CN=Other CA',
  ]);
  openssl(['req', ...ecKey, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  writeFileSync(
    join(dir, 'server.ext'),
    [
      'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost',
      'basicConstraints=CA:FALSE',
      'keyUsage=digitalSignature',
      'extendedKeyUsage=serverAuth',
      '',
    ].join('\n'),
  );
  openssl([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '2',
    '-extfile',
    'server.ext',
  ]);
  const publicKeyDer = openssl(['pkey', '-in', 'server.key', '-pubout', '-outform', 'DER']);
  const spkiHash = openssl(['dgst', '-sha256', '-binary'], publicKeyDer);
  const fingerprintLine = openssl([
    'x509',
    '-in',
    'server.pem',
    '-noout',
    '-fingerprint',
    '-sha256',
  ]).toString('utf8');
  const fingerprint = /=\s*([0-9A-Fa-f:]+)\s*$/.exec(fingerprintLine)?.[1];
  if (!fingerprint) throw new Error(`unexpected openssl fingerprint output: ${fingerprintLine}`);
  const read = (name: string): string => readFileSync(join(dir, name), 'utf8');
  return {
    caPem: read('ca.pem'),
    otherCaPem: read('other.pem'),
    serverCertPem: read('server.pem'),
    serverKeyPem: read('server.key'),
    serverSpkiPin: spkiHash.toString('base64'),
    serverCertFingerprint: fingerprint,
    caFile: join(dir, 'ca.pem'),
    otherCaFile: join(dir, 'other.pem'),
  };
}
