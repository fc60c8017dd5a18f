import assert from 'node:assert/strict';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AGENT_PROTOCOL_PATHS } from '@patchwarden/core';
import type { AgentConfig, AgentRunResult } from './agent.ts';
import { runAgent } from './agent.ts';
import { collectOptions } from './collect/collect-options.ts';
import { collectHostReport } from './collect/collect-host-report.ts';
import { inventoryHash } from './inventory-hash.ts';
import type { LogEvent } from './log.ts';
import type { AgentState } from './state/agent-state.ts';
import type { OutboxEntry } from './state/inventory-outbox.ts';
import { ProtocolTestServer } from './testing/protocol-test-server.ts';
import type { TestPki } from './testing/test-pki.ts';
import { hasOpenssl, makeTestPki } from './testing/test-pki.ts';

const STATUS_FIXTURE = fileURLToPath(
  new URL('../../../fixtures/inventory/dpkg/trivy-ubuntu1804-status', import.meta.url),
);
const SECRET = 'enrol-me-please';
const { enrol: ENROL, checkin: CHECKIN, inventory: INVENTORY } = AGENT_PROTOCOL_PATHS;

const root = mkdtempSync(join(tmpdir(), 'pw-agent-loop-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** A host made of files: a real Ubuntu 18.04 dpkg status and its os-release. */
function fixtureHost(name: string) {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const status = join(dir, 'status');
  copyFileSync(STATUS_FIXTURE, status);
  writeFileSync(
    join(dir, 'os-release'),
    'NAME="Ubuntu"\nID=ubuntu\nVERSION_ID="18.04"\nVERSION_CODENAME=bionic\n',
  );
  const collect = collectOptions({
    osReleasePaths: [join(dir, 'os-release')],
    dpkgStatusPath: status,
    apkInstalledPath: undefined,
    rpmCommand: undefined,
    needsRestartingCommand: undefined,
    hostnameCommand: undefined,
    rebootRequiredPath: join(dir, 'reboot-required'),
  });
  return {
    stateDir: join(dir, 'state'),
    collect,
    /** Upgrades libc6 in the status file, as an `apt upgrade` would. */
    upgrade(): void {
      writeFileSync(
        status,
        readFileSync(status, 'utf8').replace(/(Package: libc6\n(?:.+\n)*?Version: )(\S+)/, '$1$2+pw1'),
      );
    },
    async expectedHash(): Promise<string> {
      const { report } = await collectHostReport(collect);
      return inventoryHash(report.os, report.packages);
    },
    state(): AgentState {
      return JSON.parse(readFileSync(join(dir, 'state', 'state.json'), 'utf8')) as AgentState;
    },
    outbox(): OutboxEntry | undefined {
      const path = join(dir, 'state', 'outbox', 'inventory.json');
      return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as OutboxEntry) : undefined;
    },
  };
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

interface Running {
  events: LogEvent[];
  stop(): Promise<AgentRunResult>;
  done: Promise<AgentRunResult>;
}

function start(config: AgentConfig): Running {
  const events: LogEvent[] = [];
  const controller = new AbortController();
  const done = runAgent(config, { signal: controller.signal, log: (e) => events.push(e), random: () => 0.5 });
  return {
    events,
    done,
    stop: () => {
      controller.abort();
      return done;
    },
  };
}

const trace = (server: ProtocolTestServer): string[] =>
  server.requests.map((r) => `${r.method} ${r.path} ${r.status}`);

describe(
  'the agent against a protocol-conformant HTTPS server on 127.0.0.1',
  { skip: !hasOpenssl() && 'openssl not installed' },
  () => {
    let pki: TestPki;
    before(() => {
      pki = makeTestPki(mkdtempSync(join(root, 'pki-')));
    });
    const newServer = (port?: number) =>
      new ProtocolTestServer({
        tls: { key: pki.serverKeyPem, cert: pki.serverCertPem },
        enrolmentSecret: SECRET,
        checkinIntervalSeconds: 0.1,
        ...(port === undefined ? {} : { port }),
      });
    const config = (
      host: ReturnType<typeof fixtureHost>,
      server: ProtocolTestServer,
      extra: Partial<AgentConfig> = {},
    ): AgentConfig => ({
      server: server.url,
      stateDir: host.stateDir,
      enrolmentSecret: SECRET,
      ca: pki.caPem,
      collect: host.collect,
      backoff: { baseMs: 20, capMs: 200 },
      requestTimeoutMs: 5_000,
      ...extra,
    });

    it('enrols, uploads the inventory the server asks for, then only sends heartbeats until the host changes', async () => {
      const host = fixtureHost('happy');
      const server = await newServer().start();
      const agent = start(config(host, server));
      try {
        await waitFor('4 check-ins', () => server.count(CHECKIN) >= 4);
        assert.deepEqual(trace(server).slice(0, 5), [
          `POST ${ENROL} 201`,
          `POST ${CHECKIN} 200`,
          `PUT ${INVENTORY} 200`,
          `POST ${CHECKIN} 200`,
          `POST ${CHECKIN} 200`,
        ]);
        assert.equal(server.count(INVENTORY), 1, 'an unchanged inventory is sent once');
        const first = await host.expectedHash();
        assert.deepEqual(server.inventories.get('agent-1')?.hash, first);
        assert.equal(server.inventories.get('agent-1')?.packages, 90);
        assert.equal(server.inventories.get('agent-1')?.form, 'text', 'the agent sends the compact form');
        assert.equal(server.textUploads, 1, 'as the envelope line and the raw text');
        const checkins = server.requests.filter((r) => r.path === CHECKIN);
        assert.ok(checkins.every((r) => r.body.inventoryHash === first && r.agentId === 'agent-1'));
        assert.equal((checkins[0]?.body.facts as { os: { id: string } }).os.id, 'ubuntu');

        const state = host.state();
        assert.equal(state.agentId, 'agent-1');
        assert.equal(state.lastUploadedHash, first);
        assert.equal(statSync(join(host.stateDir, 'state.json')).mode & 0o777, 0o600);
        assert.equal(host.outbox(), undefined, 'nothing left queued');

        host.upgrade();
        const second = await host.expectedHash();
        assert.notEqual(second, first);
        await waitFor('the changed inventory', () => server.count(INVENTORY) === 2);
        assert.equal(server.inventories.get('agent-1')?.hash, second);
        const afterUpgrade = server.count(CHECKIN);
        await waitFor('2 more check-ins', () => server.count(CHECKIN) >= afterUpgrade + 2);
        assert.equal(server.count(INVENTORY), 2, 'and then heartbeats again');
      } finally {
        const result = await agent.stop();
        await server.stop();
        assert.equal(result.ok, true);
      }
      assert.ok(agent.events.some((e) => e.event === 'enrolled'));
      assert.ok(agent.events.some((e) => e.event === 'stopped'));
    });

    it('sends the upload as JSON to a server that refuses the text media type (415), and then only as JSON', async () => {
      const host = fixtureHost('json-only');
      const server = await newServer().start();
      server.acceptTextUploads = false;
      const agent = start(config(host, server));
      try {
        await waitFor('the first upload', () => server.inventories.has('agent-1'));
        assert.deepEqual(trace(server).slice(0, 4), [
          `POST ${ENROL} 201`,
          `POST ${CHECKIN} 200`,
          `PUT ${INVENTORY} 415`,
          `PUT ${INVENTORY} 200`,
        ]);
        assert.equal(server.inventories.get('agent-1')?.hash, await host.expectedHash());
        assert.equal(server.textUploads, 0);
        host.upgrade();
        const changed = await host.expectedHash();
        await waitFor('the changed inventory', () => server.inventories.get('agent-1')?.hash === changed);
        const puts = trace(server).filter((line) => line.startsWith('PUT'));
        assert.deepEqual(puts, [`PUT ${INVENTORY} 415`, `PUT ${INVENTORY} 200`, `PUT ${INVENTORY} 200`]);
      } finally {
        await agent.stop();
        await server.stop();
      }
    });

    it('keeps a changed inventory in the outbox while the server refuses connections, and delivers it when it is back', async () => {
      const host = fixtureHost('refused');
      const server = await newServer().start();
      const agent = start(config(host, server));
      try {
        await waitFor('the first upload', () => server.count(INVENTORY) === 1);
        await server.stop();
        host.upgrade();
        const changed = await host.expectedHash();
        await waitFor('3 backoffs', () => agent.events.filter((e) => e.event === 'backoff').length >= 3);
        const backoffs = agent.events.filter((e) => e.event === 'backoff');
        assert.ok(backoffs.every((e) => e.code === 'PW_ERR_AGENT_UNREACHABLE'));
        assert.ok(
          backoffs.every((e) => typeof e.waitMs === 'number' && e.waitMs >= 10 && e.waitMs <= 200),
          'waits grow from half the base and stay under the cap',
        );
        assert.equal(host.outbox()?.inventoryHash, changed, 'queued on disk');
        assert.equal(statSync(join(host.stateDir, 'outbox', 'inventory.json')).mode & 0o777, 0o600);

        await server.start();
        await waitFor('the queued inventory', () => server.inventories.get('agent-1')?.hash === changed);
        await waitFor('the outbox to empty', () => host.outbox() === undefined);
        assert.equal(server.count(ENROL), 1, 'the same identity after the outage');
      } finally {
        await agent.stop();
        await server.stop();
      }
    });

    it('backs off on 503 with Retry-After and delivers after the server recovers', async () => {
      const host = fixtureHost('unavailable');
      const server = await newServer().start();
      server.failNext = { count: 3, status: 503, retryAfter: '0' };
      const agent = start(config(host, server));
      try {
        await waitFor('the upload', () => server.count(INVENTORY) === 1);
        assert.deepEqual(trace(server).slice(0, 4), [
          `POST ${ENROL} 503`,
          `POST ${ENROL} 503`,
          `POST ${ENROL} 503`,
          `POST ${ENROL} 201`,
        ]);
        const backoffs = agent.events.filter((e) => e.event === 'backoff');
        assert.deepEqual(
          backoffs.map((e) => [e.code, e.failures]),
          [
            ['PW_ERR_DATABASE', 1],
            ['PW_ERR_DATABASE', 2],
            ['PW_ERR_DATABASE', 3],
          ],
        );
        // random() = 0.5: three quarters of 20, 40, 80 ms.
        assert.deepEqual(
          backoffs.map((e) => e.waitMs),
          [15, 30, 60],
        );
      } finally {
        await agent.stop();
        await server.stop();
      }
    });

    it('survives its own restart while the server is down: the outbox on disk is what gets delivered', async () => {
      const host = fixtureHost('restart');
      const server = await newServer().start();
      const port = server.port;
      assert.equal((await runAgent(config(host, server, { once: true }), { log: () => {} })).ok, true);
      await server.stop();
      host.upgrade();
      const down = await runAgent(config(host, server, { once: true }), { log: () => {} });
      assert.equal(down.ok, false);
      assert.equal(down.lastError?.code, 'PW_ERR_AGENT_UNREACHABLE');
      const queued = host.outbox();
      assert.ok(queued, 'the changed inventory is on disk');

      // Back on the same port with the same database (agents and inventories).
      await server.start();
      assert.equal(server.port, port);
      const up = await runAgent(config(host, server, { once: true }), { log: () => {} });
      assert.equal(up.ok, true);
      assert.equal(server.inventories.get('agent-1')?.hash, queued.inventoryHash);
      assert.equal(
        server.inventories.get('agent-1')?.collectedAt,
        queued.report.collectedAt,
        'the queued report itself',
      );
      assert.equal(host.outbox(), undefined);
      await server.stop();
    });

    it('enrols again when the server rejects its credential (401), and uploads for its new identity', async () => {
      const host = fixtureHost('revoked');
      const server = await newServer().start();
      const agent = start(config(host, server));
      try {
        await waitFor('the first upload', () => server.count(INVENTORY) === 1);
        server.revokeCredentials();
        await waitFor('a second enrolment', () => server.count(ENROL) === 2);
        await waitFor('the upload for agent-2', () => server.inventories.has('agent-2'));
        assert.ok(trace(server).includes(`POST ${CHECKIN} 401`));
        assert.equal(host.state().agentId, 'agent-2');
        assert.ok(agent.events.some((e) => e.event === 're-enrol'));
      } finally {
        await agent.stop();
        await server.stop();
      }
    });

    it('without an enrolment secret, a rejected credential is reported and retried later, never re-enrolled', async () => {
      const host = fixtureHost('no-secret');
      const server = await newServer().start();
      assert.equal((await runAgent(config(host, server, { once: true }), { log: () => {} })).ok, true);
      server.revokeCredentials();
      const events: LogEvent[] = [];
      const { enrolmentSecret: _secret, ...withoutSecret } = config(host, server, { once: true });
      const result = await runAgent(withoutSecret, { log: (e) => events.push(e) });
      assert.equal(result.ok, false);
      assert.equal(result.lastError?.status, 401);
      assert.equal(server.count(ENROL), 1);
      assert.match(String(events.find((e) => e.event === 'backoff')?.hint), /no enrolment secret/);
      await server.stop();
    });

    it('refuses to start unenrolled without a secret, and to send a credential to another server', async () => {
      const host = fixtureHost('config-errors');
      const server = await newServer().start();
      const { enrolmentSecret: _secret, ...withoutSecret } = config(host, server, { once: true });
      await assert.rejects(runAgent(withoutSecret, { log: () => {} }), /no enrolment secret/);
      assert.equal(server.requests.length, 0);
      assert.equal((await runAgent(config(host, server, { once: true }), { log: () => {} })).ok, true);
      const other = { ...withoutSecret, server: server.url.replace('127.0.0.1', 'localhost') };
      await assert.rejects(runAgent(other, { log: () => {} }), /holds a credential for/);
      await server.stop();
    });

    it('stops promptly when its signal aborts, even in the middle of a long interval', async () => {
      const host = fixtureHost('stop');
      const server = await newServer().start();
      const agent = start(config(host, server, { intervalSeconds: 3_600 }));
      await waitFor('the first check-in', () => server.count(CHECKIN) === 1);
      await waitFor('the upload', () => server.count(INVENTORY) === 1);
      const started = performance.now();
      const result = await agent.stop();
      assert.ok(performance.now() - started < 1_000, 'stopped within a second');
      assert.equal(result.cycles, 1, 'one cycle, interrupted in the sleep after it');
      assert.equal(result.ok, true);
      await server.stop();
    });
  },
);
