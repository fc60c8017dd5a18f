import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AGENT_PROTOCOL_PATHS } from '@patchwarden/core';
import { EXIT_ERROR, EXIT_OK, EXIT_UNDELIVERED, main } from './main.ts';
import { ProtocolTestServer } from './testing/protocol-test-server.ts';
import { hasOpenssl, makeTestPki } from './testing/test-pki.ts';
import { AGENT_VERSION } from './version.ts';

const root = mkdtempSync(join(tmpdir(), 'pw-agent-cli-'));
after(() => rmSync(root, { recursive: true, force: true }));

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    log: () => {},
    signal: new AbortController().signal,
  });
  return { code, stdout, stderr };
}

describe('patchwarden-agent command line', () => {
  it('prints the version of its package.json', async () => {
    const pkg = JSON.parse(
      readFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8'),
    ) as { version: string };
    assert.equal(AGENT_VERSION, pkg.version);
    assert.deepEqual(await cli('--version'), { code: EXIT_OK, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it('collect --json prints what would be sent, with its inventory hash', async () => {
    const { code, stdout } = await cli('collect', '--json');
    assert.equal(code, EXIT_OK);
    const out = JSON.parse(stdout) as {
      inventoryHash: string;
      facts: { hostname: string };
      os: { id: string };
      packages: unknown[];
    };
    assert.match(out.inventoryHash, /^sha256:[0-9a-f]{64}$/);
    assert.ok(out.facts.hostname);
    assert.ok(out.os.id);
    if (existsSync('/var/lib/dpkg/status')) assert.ok(out.packages.length > 0);
  });

  it('the installed bin runs through tsx', () => {
    const bin = fileURLToPath(new URL('../bin/patchwarden-agent.js', import.meta.url));
    assert.equal(
      execFileSync(process.execPath, [bin, '--version'], { encoding: 'utf8' }),
      `${AGENT_VERSION}\n`,
    );
  });

  it('rejects bad usage with exit status 2 and a PW_ERR_USAGE message', async () => {
    for (const [argv, pattern] of [
      [['run', '--server', 'http://192.0.2.1:8080', '--state-dir', join(root, 's')], /http:\/\/ is refused/],
      [['run', '--state-dir', join(root, 's')], /needs --server/],
      [['run', '--server', 'https://h.example'], /needs --state-dir/],
      [
        ['run', '--server', 'https://h.example', '--state-dir', join(root, 's'), '--interval', '1'],
        /--interval/,
      ],
      [
        ['run', '--server', 'https://h.example', '--state-dir', join(root, 's'), '--pin-sha256', 'nope'],
        /--pin-sha256/,
      ],
      [['run', '--bogus'], /bogus/],
      [['frobnicate'], /unknown command/],
    ] as const) {
      const { code, stderr } = await cli(...argv);
      assert.equal(code, EXIT_ERROR, argv.join(' '));
      assert.match(stderr, /PW_ERR_USAGE/, argv.join(' '));
      assert.match(stderr, pattern, argv.join(' '));
    }
    assert.equal(existsSync(join(root, 's')), false, 'nothing written on a usage error');
  });

  it(
    'run --once enrols over HTTPS with --ca or --pin-sha256 and exits 0, or 1 when the server is down',
    { skip: !hasOpenssl() && 'no openssl' },
    async () => {
      const pki = makeTestPki(mkdtempSync(join(root, 'pki-')));
      const server = await new ProtocolTestServer({
        tls: { key: pki.serverKeyPem, cert: pki.serverCertPem },
        enrolmentSecret: 's3cret',
        checkinIntervalSeconds: 300,
      }).start();
      const secretFile = join(root, 'secret');
      writeFileSync(secretFile, 's3cret\n');
      chmodSync(secretFile, 0o644);
      const common = [
        '--server',
        server.url,
        '--enrolment-secret-file',
        secretFile,
        '--once',
        '--lockfile-path',
        join(root, 'none'),
      ];
      try {
        const byCa = await cli('run', ...common, '--state-dir', join(root, 'ca-state'), '--ca', pki.caFile);
        assert.equal(byCa.code, EXIT_OK, byCa.stderr);
        assert.match(byCa.stderr, /readable by other users/);
        assert.equal(statSync(join(root, 'ca-state', 'state.json')).mode & 0o777, 0o600);
        const byPin = await cli(
          'run',
          ...common,
          '--state-dir',
          join(root, 'pin-state'),
          '--pin-sha256',
          pki.serverSpkiPin,
        );
        assert.equal(byPin.code, EXIT_OK, byPin.stderr);
        assert.equal(server.count(AGENT_PROTOCOL_PATHS.enrol), 2);
        assert.equal(server.count(AGENT_PROTOCOL_PATHS.inventory), 2);
        const wrongCa = await cli(
          'run',
          ...common,
          '--state-dir',
          join(root, 'wrong-state'),
          '--ca',
          pki.otherCaFile,
        );
        assert.equal(wrongCa.code, EXIT_UNDELIVERED);
        assert.equal(
          server.count(AGENT_PROTOCOL_PATHS.enrol),
          2,
          'no enrolment through an untrusted connection',
        );
      } finally {
        await server.stop();
      }
      const down = await cli('run', ...common, '--state-dir', join(root, 'ca-state'), '--ca', pki.caFile);
      assert.equal(down.code, EXIT_UNDELIVERED);
    },
  );
});
