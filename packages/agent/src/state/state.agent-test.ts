import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { HostReport } from '@patchwarden/core';
import { PatchwardenError } from '@patchwarden/core';
import { DEFAULT_BACKOFF, backoffDelayMs, jitteredIntervalMs } from '../backoff.ts';
import type { AgentState } from './agent-state.ts';
import { AgentStateStore } from './agent-state.ts';
import { InventoryOutbox } from './inventory-outbox.ts';
import { ensurePrivateDir } from './private-file.ts';

const root = mkdtempSync(join(tmpdir(), 'pw-agent-state-'));
after(() => rmSync(root, { recursive: true, force: true }));

const state: AgentState = {
  server: 'https://patchwarden.example:8443/',
  agentId: 'agent-1',
  assetId: 'asset-1',
  credential: 'c2VjcmV0',
  enrolledAt: '2026-01-01T00:00:00.000Z',
  checkinIntervalSeconds: 300,
};

const report: HostReport = {
  facts: {
    hostname: 'h',
    ips: [],
    macs: [],
    os: { id: 'debian', versionId: '12', idLike: [] },
    kernel: '6.1.0',
    uptimeSeconds: 1,
    rebootRequired: false,
    architecture: 'x86_64',
    agentVersion: '0.1.0',
  },
  os: { id: 'debian', versionId: '12', idLike: [] },
  packages: [{ name: 'bash', version: '5.2.15-2+b7', kind: 'os', packageManager: 'dpkg' }],
  collectedAt: '2026-01-01T00:00:00.000Z',
};

describe('agent state', () => {
  it('is saved with mode 0600 in a 0700 directory, atomically (no temporary file left), and read back', async () => {
    const dir = join(root, 'a/state');
    const previous = process.umask(0o022);
    try {
      await ensurePrivateDir(dir);
      const store = new AgentStateStore(dir);
      assert.equal(await store.load(), undefined);
      await store.save(state);
      await store.save({ ...state, lastUploadedHash: 'sha256:00' });
      assert.equal(statSync(dir).mode & 0o777, 0o700);
      assert.equal(statSync(store.path).mode & 0o777, 0o600);
      assert.deepEqual(readdirSync(dir), ['state.json']);
      assert.deepEqual(await store.load(), { ...state, lastUploadedHash: 'sha256:00' });
    } finally {
      process.umask(previous);
    }
  });

  it('is 0600 even under a umask of 0', async () => {
    const dir = join(root, 'umask');
    const previous = process.umask(0);
    try {
      await ensurePrivateDir(dir);
      const store = new AgentStateStore(dir);
      await store.save(state);
      assert.equal(statSync(store.path).mode & 0o777, 0o600);
    } finally {
      process.umask(previous);
    }
  });

  it('names the file and the field when the state is damaged', async () => {
    const dir = join(root, 'damaged');
    await ensurePrivateDir(dir);
    const store = new AgentStateStore(dir);
    writeFileSync(
      store.path,
      '{"format":1,"server":"https://x/","agentId":"a","assetId":"b","enrolledAt":"t","checkinIntervalSeconds":60}',
    );
    await assert.rejects(
      store.load(),
      (e: unknown) =>
        e instanceof PatchwardenError && e.details.field === 'credential' && e.details.file === store.path,
    );
    writeFileSync(store.path, '{"format":1,');
    await assert.rejects(
      store.load(),
      (e: unknown) => e instanceof PatchwardenError && e.code === 'PW_ERR_PARSE',
    );
  });

  it('reports an unusable state directory as a configuration error naming it', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, '');
    await assert.rejects(
      ensurePrivateDir(join(file, 'state')),
      (e: unknown) => e instanceof PatchwardenError && e.details.field === 'state-dir',
    );
  });
});

describe('inventory outbox', () => {
  it('keeps one inventory on disk (0600), the newest replacing the older', async () => {
    const outbox = new InventoryOutbox(join(root, 'outbox-1'));
    assert.equal(await outbox.get(), undefined);
    await outbox.put({ inventoryHash: 'sha256:aa', report, queuedAt: 't1' });
    await outbox.put({ inventoryHash: 'sha256:bb', report, queuedAt: 't2' });
    assert.equal(statSync(outbox.path).mode & 0o777, 0o600);
    const entry = await new InventoryOutbox(join(root, 'outbox-1')).get();
    assert.equal(entry?.inventoryHash, 'sha256:bb');
    assert.deepEqual(entry?.report, report);
  });

  it('removes an entry only if it still holds the delivered hash', async () => {
    const outbox = new InventoryOutbox(join(root, 'outbox-2'));
    await outbox.put({ inventoryHash: 'sha256:new', report, queuedAt: 't' });
    await outbox.remove('sha256:old');
    assert.equal((await outbox.get())?.inventoryHash, 'sha256:new');
    await outbox.remove('sha256:new');
    assert.equal(await outbox.get(), undefined);
  });

  it('drops a damaged entry and says so', async () => {
    const outbox = new InventoryOutbox(join(root, 'outbox-3'));
    await outbox.put({ inventoryHash: 'sha256:x', report, queuedAt: 't' });
    writeFileSync(outbox.path, '{"inventoryHash":');
    const reasons: string[] = [];
    assert.equal(await outbox.get((why) => reasons.push(why)), undefined);
    assert.equal(reasons.length, 1);
    assert.throws(() => readFileSync(outbox.path), /ENOENT/);
  });
});

describe('backoff', () => {
  it('doubles per failure between half and all of the step, never beyond the cap', () => {
    const policy = { baseMs: 1_000, capMs: 60_000 };
    for (const [failures, ceiling] of [
      [1, 1_000],
      [2, 2_000],
      [3, 4_000],
      [6, 32_000],
      [7, 60_000],
      [500, 60_000],
    ] as const) {
      assert.equal(
        backoffDelayMs(failures, policy, () => 0),
        ceiling / 2,
        `low, ${failures} failures`,
      );
      assert.equal(
        backoffDelayMs(failures, policy, () => 0.999999),
        Math.round(ceiling * 0.9999995),
        `high, ${failures}`,
      );
    }
  });

  it("takes the server's Retry-After as a floor, but not beyond the cap", () => {
    const policy = { baseMs: 1_000, capMs: 60_000 };
    assert.equal(
      backoffDelayMs(1, policy, () => 0, 30_000),
      30_000,
    );
    assert.equal(
      backoffDelayMs(1, policy, () => 0, 3_600_000),
      60_000,
    );
    assert.equal(DEFAULT_BACKOFF.capMs, 15 * 60_000);
  });

  it('spreads check-ins over ±10 % of the interval', () => {
    assert.equal(
      jitteredIntervalMs(300, () => 0),
      270_000,
    );
    assert.equal(
      jitteredIntervalMs(300, () => 0.5),
      300_000,
    );
    assert.equal(
      jitteredIntervalMs(300, () => 0.9999999),
      330_000,
    );
  });
});
