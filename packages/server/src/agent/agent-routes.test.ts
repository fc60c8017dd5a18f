import { createHash } from 'node:crypto';
import type { AgentFacts, InstalledPackage, OsRelease } from '@patchwarden/core';
import { canonicalInventoryText, INVENTORY_TEXT_MEDIA_TYPE, inventoryTextBody } from '@patchwarden/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '@patchwarden/store';
import { BACKENDS, freshTarget } from '../../../store/src/testing/test-database.ts';
import { createPatchwardenApp } from '../app/patchwarden-app.ts';
import { platformFixture } from '../testing/platform-fixture.ts';
import type { PlatformFixture } from '../testing/platform-fixture.ts';
import { serverInventoryHash } from './agent-routes.ts';

const OS: OsRelease = { id: 'debian', versionId: '12', versionCodename: 'bookworm', idLike: [] };

function facts(hostname: string, mac: string): AgentFacts {
  return {
    hostname,
    ips: ['10.9.0.1'],
    macs: [mac],
    os: OS,
    kernel: '6.1.0-1-amd64',
    uptimeSeconds: 100,
    rebootRequired: false,
    architecture: 'x86_64',
    agentVersion: '0.1.0',
  };
}

const PACKAGES: InstalledPackage[] = [
  { name: 'openssl', version: '3.0.11-1~deb12u2', kind: 'os', packageManager: 'dpkg', sourceName: 'openssl' },
  { name: 'lodash', version: '4.17.4', kind: 'language', packageManager: 'npm', ecosystem: 'npm' },
];

function inventoryBody(agentId: string, hostFacts: AgentFacts, packages = PACKAGES) {
  return {
    agentId,
    inventoryHash: serverInventoryHash(OS, packages),
    facts: hostFacts,
    os: OS,
    packages,
    collectedAt: new Date().toISOString(),
  };
}

function textBody(agentId: string, hostFacts: AgentFacts, text: string) {
  return {
    agentId,
    inventoryHash: `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`,
    facts: hostFacts,
    inventory: text,
    collectedAt: new Date().toISOString(),
  };
}

for (const backend of BACKENDS) {
  describe(`agent routes (${backend})`, () => {
    let fx: PlatformFixture;
    let admin: Record<string, string>;
    const agents: Record<
      string,
      { agentId: string; assetId: string; credential: string; facts: AgentFacts }
    > = {};

    const enrol = async (hostname: string, mac: string) => {
      const secret = await fx.app.inject({
        method: 'POST',
        url: '/api/v1/enrolment-secrets',
        headers: admin,
        payload: { name: `for ${hostname}` },
      });
      expect(secret.statusCode).toBe(201);
      const hostFacts = facts(hostname, mac);
      const enrolled = await fx.app.inject({
        method: 'POST',
        url: '/agent/v1/enrol',
        payload: { enrolmentSecret: secret.json().secret, hostname, facts: hostFacts },
      });
      expect(enrolled.statusCode).toBe(201);
      agents[hostname] = { ...enrolled.json(), facts: hostFacts };
      return agents[hostname]!;
    };

    beforeAll(async () => {
      fx = await platformFixture(backend);
      admin = await fx.sessionFor('admin');
      await enrol('alpha', '52:54:00:00:00:0a');
      await enrol('bravo', '52:54:00:00:00:0b');
    }, 60_000);
    afterAll(() => fx?.close());

    it('enrols: one asset per host, sourced from the agent, a credential for each', async () => {
      const { alpha, bravo } = agents;
      expect(alpha!.assetId).not.toBe(bravo!.assetId);
      expect(alpha!.credential).toMatch(/^pwa_/);
      const asset = await fx.app.platform.assets.get(alpha!.assetId);
      expect(asset).toMatchObject({ hostname: 'alpha', sources: ['agent'], os: { ecosystem: 'Debian:12' } });
    });

    it('refuses an unknown enrolment secret with 401 and creates no asset', async () => {
      const response = await fx.app.inject({
        method: 'POST',
        url: '/agent/v1/enrol',
        payload: {
          enrolmentSecret: 'pwe_' + 'A'.repeat(43),
          hostname: 'ghost',
          facts: facts('ghost', '52:54:00:00:00:99'),
        },
      });
      expect(response.statusCode).toBe(401);
      const page = await fx.app.platform.assets.list({ terms: [] }, { now: new Date().toISOString() });
      expect(page.items.map((a) => a.hostname)).not.toContain('ghost');
    });

    it('check-in asks for the inventory until one with that hash is accepted', async () => {
      const { alpha } = agents;
      const checkin = () =>
        fx.app.inject({
          method: 'POST',
          url: '/agent/v1/checkin',
          headers: { authorization: `Bearer ${alpha!.credential}` },
          payload: {
            agentId: alpha!.agentId,
            inventoryHash: serverInventoryHash(OS, PACKAGES),
            facts: alpha!.facts,
            uptimeSeconds: 5,
            rebootRequired: true,
            agentVersion: '0.1.0',
          },
        });
      const first = await checkin();
      expect(first.statusCode).toBe(200);
      expect(first.json().needInventory).toBe(true);
      const upload = await fx.app.inject({
        method: 'PUT',
        url: '/agent/v1/inventory',
        headers: { authorization: `Bearer ${alpha!.credential}` },
        payload: inventoryBody(alpha!.agentId, alpha!.facts),
      });
      expect(upload.statusCode).toBe(200);
      expect(upload.json()).toEqual({ accepted: true, packages: 2 });
      expect((await checkin()).json().needInventory).toBe(false);
      const asset = await fx.app.platform.assets.get(alpha!.assetId);
      expect(asset?.rebootRequired).toBe(true);
      expect(asset?.inventoryAt).toBeDefined();
      const audit = await fx.app.platform.audit.query({ action: 'inventory.accept' });
      expect(audit.entries).toHaveLength(1);
      expect(audit.entries[0]!.details).toMatchObject({ packages: 2 });
    });

    it('answers 401 without or with a wrong credential', async () => {
      const body = inventoryBody(agents.alpha!.agentId, agents.alpha!.facts);
      const none = await fx.app.inject({ method: 'PUT', url: '/agent/v1/inventory', payload: body });
      expect(none.statusCode).toBe(401);
      const wrong = await fx.app.inject({
        method: 'PUT',
        url: '/agent/v1/inventory',
        headers: { authorization: `Bearer pwa_${'x'.repeat(43)}` },
        payload: body,
      });
      expect(wrong.statusCode).toBe(401);
      expect(wrong.json().code).toBe('PW_ERR_UNAUTHENTICATED');
    });

    it("refuses agent A's credential acting as agent B with 403, and B is unchanged", async () => {
      const { alpha, bravo } = agents;
      const before = await fx.app.platform.assets.inventoryOf(bravo!.assetId);
      const response = await fx.app.inject({
        method: 'PUT',
        url: '/agent/v1/inventory',
        headers: { authorization: `Bearer ${alpha!.credential}` },
        payload: { ...inventoryBody(bravo!.agentId, bravo!.facts), assetId: bravo!.assetId },
      });
      expect(response.statusCode).toBe(403);
      expect(await fx.app.platform.assets.inventoryOf(bravo!.assetId)).toEqual(before);
      expect(before).toBeUndefined();
    });

    it('rejects a malformed inventory (400 naming the field) and a hash mismatch, changing nothing', async () => {
      const { bravo } = agents;
      const headers = { authorization: `Bearer ${bravo!.credential}` };
      const bad = inventoryBody(bravo!.agentId, bravo!.facts);
      const malformed = await fx.app.inject({
        method: 'PUT',
        url: '/agent/v1/inventory',
        headers,
        payload: { ...bad, packages: [{ name: 'x', kind: 'os' }] },
      });
      expect(malformed.statusCode).toBe(400);
      expect(JSON.stringify(malformed.json().details)).toContain('body.packages[0]');
      const mismatch = await fx.app.inject({
        method: 'PUT',
        url: '/agent/v1/inventory',
        headers,
        payload: { ...bad, packages: PACKAGES.slice(0, 1) },
      });
      expect(mismatch.statusCode).toBe(400);
      expect(mismatch.json().details.field).toBe('inventoryHash');
      expect(await fx.app.platform.assets.inventoryOf(bravo!.assetId)).toBeUndefined();
    });

    it("accepts the canonical text (the agent's form) as the same inventory as objects", async () => {
      const charlie = await enrol('charlie', '52:54:00:00:00:0c');
      const echo = await enrol('echo', '52:54:00:00:00:0e');
      const text = canonicalInventoryText(OS, PACKAGES);
      const asText = await fx.app.inject({
        method: 'PUT',
        url: '/agent/v1/inventory',
        headers: { authorization: `Bearer ${charlie.credential}` },
        payload: textBody(charlie.agentId, charlie.facts, text),
      });
      expect(asText.statusCode).toBe(200);
      expect(asText.json()).toEqual({ accepted: true, packages: 2 });
      const asObjects = await fx.app.inject({
        method: 'PUT',
        url: '/agent/v1/inventory',
        headers: { authorization: `Bearer ${echo.credential}` },
        payload: inventoryBody(echo.agentId, echo.facts),
      });
      expect(asObjects.statusCode).toBe(200);
      const [fromText, fromObjects] = await Promise.all(
        [charlie, echo].map((agent) => fx.app.platform.assets.inventoryOf(agent.assetId)),
      );
      expect(fromText!.hash).toBe(serverInventoryHash(OS, PACKAGES));
      expect(fromText!.setId).toBe(fromObjects!.setId);
      expect(fromText!.packages).toEqual(fromObjects!.packages);
      expect(fromText!.packages.find((p) => p.name === 'openssl')?.ecosystem).toBe('Debian:12');
    });

    it('refuses a bad canonical text with the line at fault, changing nothing', async () => {
      const charlie = agents.charlie!;
      const headers = { authorization: `Bearer ${charlie.credential}` };
      const before = await fx.app.platform.assets.inventoryOf(charlie.assetId);
      const [header, osLine, ...lines] = canonicalInventoryText(OS, PACKAGES).split('\n');
      const send = (text: string, extra: Record<string, unknown> = {}) =>
        fx.app.inject({
          method: 'PUT',
          url: '/agent/v1/inventory',
          headers,
          payload: { ...textBody(charlie.agentId, charlie.facts, text), ...extra },
        });
      const cases: [string, string, number | undefined][] = [
        ['unsorted', [header, osLine, ...[...lines].reverse()].join('\n'), 4],
        ['spaced', [header, osLine, lines[0]!.replaceAll(',', ', '), lines[1]].join('\n'), 3],
        [
          'name too long',
          [header, osLine, lines[0]!.replace('"openssl"', `"${'o'.repeat(600)}"`), lines[1]].join('\n'),
          3,
        ],
        ['not JSON', [header, osLine, lines[0], '["dpkg",'].join('\n'), 4],
        ['wrong header', ['patchwarden-inventory/9', osLine, ...lines].join('\n'), 1],
        ['trailing newline', `${[header, osLine].join('\n')}\n`, 3],
      ];
      for (const [name, text, line] of cases) {
        const response = await send(text);
        expect(response.statusCode, name).toBe(400);
        expect(response.json().details, name).toMatchObject({ field: 'inventory', line });
        expect(response.json().message, name).toContain(`inventory line ${line}`);
      }
      const mismatch = await send(canonicalInventoryText(OS, PACKAGES), {
        inventoryHash: serverInventoryHash(OS, PACKAGES.slice(1)),
      });
      expect(mismatch.statusCode).toBe(400);
      expect(mismatch.json().details.field).toBe('inventoryHash');
      const both = await send(canonicalInventoryText(OS, PACKAGES), { os: OS, packages: PACKAGES });
      expect(both.statusCode).toBe(400);
      expect(JSON.stringify(both.json().details)).toContain('inventory');
      const neither = await fx.app.inject({
        method: 'PUT',
        url: '/agent/v1/inventory',
        headers,
        payload: { ...textBody(charlie.agentId, charlie.facts, ''), inventory: undefined },
      });
      expect(neither.statusCode).toBe(400);
      expect(await fx.app.platform.assets.inventoryOf(charlie.assetId)).toEqual(before);
    });

    it(`accepts ${INVENTORY_TEXT_MEDIA_TYPE} (envelope line + raw text) as the same inventory; refuses bad ones, changing nothing`, async () => {
      const foxtrot = await enrol('foxtrot', '52:54:00:00:00:0f');
      const { bravo } = agents;
      const text = canonicalInventoryText(OS, PACKAGES);
      const envelope = { ...textBody(foxtrot.agentId, foxtrot.facts, text), inventory: undefined };
      const put = (
        payload: string | Buffer,
        contentType = INVENTORY_TEXT_MEDIA_TYPE,
        credential = foxtrot.credential,
      ) =>
        fx.app.inject({
          method: 'PUT',
          url: '/agent/v1/inventory',
          headers: { authorization: `Bearer ${credential}`, 'content-type': contentType },
          payload,
        });
      const [header, osLine, ...lines] = text.split('\n');
      const cases: [string, string, number][] = [
        ['unsorted', [header, osLine, ...[...lines].reverse()].join('\n'), 4],
        ['spaced', [header, osLine, lines[0]!.replaceAll(',', ', '), lines[1]].join('\n'), 3],
        ['not JSON', [header, osLine, lines[0], '["dpkg",'].join('\n'), 4],
        ['wrong header', ['patchwarden-inventory/9', osLine, ...lines].join('\n'), 1],
        ['trailing newline', `${text}\n`, 5],
      ];
      for (const [name, bad, line] of cases) {
        const hash = `sha256:${createHash('sha256').update(bad, 'utf8').digest('hex')}`;
        const response = await put(inventoryTextBody({ ...envelope, inventoryHash: hash }, bad));
        expect(response.statusCode, name).toBe(400);
        expect(response.json().details, name).toMatchObject({ line });
      }
      const refusals: [string, string | Buffer, number, string][] = [
        [
          'hash mismatch',
          inventoryTextBody({ ...envelope, inventoryHash: serverInventoryHash(OS, []) }, text),
          400,
          'PW_ERR_INVALID_RECORD',
        ],
        ['no envelope line', JSON.stringify(envelope), 400, 'PW_ERR_PARSE'],
        ['envelope not JSON', `{"agentId":\n${text}`, 400, 'PW_ERR_PARSE'],
        ['envelope an array', `[1]\n${text}`, 400, 'PW_ERR_PARSE'],
        ['poisoned envelope', `{"agentId":"x","__proto__":{"admin":true}}\n${text}`, 400, 'PW_ERR_PARSE'],
        [
          'envelope without collectedAt',
          `${JSON.stringify({ ...envelope, collectedAt: undefined })}\n${text}`,
          400,
          'PW_ERR_VALIDATION',
        ],
        [
          'invalid UTF-8',
          Buffer.concat([Buffer.from(`${JSON.stringify(envelope)}\n${text}`), Buffer.from([0xc3])]),
          400,
          'PW_ERR_PARSE',
        ],
        ['as text/plain', inventoryTextBody(envelope, text), 415, 'PW_ERR_UNSUPPORTED_MEDIA_TYPE'],
        [
          'over the size limit',
          inventoryTextBody(envelope, `${text}${'x'.repeat(9 * 1024 * 1024)}`),
          413,
          'PW_ERR_PAYLOAD_TOO_LARGE',
        ],
      ];
      for (const [name, payload, status, code] of refusals) {
        const response = await put(
          payload,
          name === 'as text/plain' ? 'text/plain' : INVENTORY_TEXT_MEDIA_TYPE,
        );
        expect(response.statusCode, name).toBe(status);
        expect(response.json().code, name).toBe(code);
      }
      // Another agent's credential cannot write foxtrot's host with this form either.
      const forOther = await put(
        inventoryTextBody(envelope, text),
        INVENTORY_TEXT_MEDIA_TYPE,
        bravo!.credential,
      );
      expect(forOther.statusCode).toBe(403);
      expect(await fx.app.platform.assets.inventoryOf(foxtrot.assetId)).toBeUndefined();

      const accepted = await put(inventoryTextBody(envelope, text));
      expect(accepted.statusCode).toBe(200);
      expect(accepted.json()).toEqual({ accepted: true, packages: 2 });
      const [stored, asJson] = await Promise.all(
        [foxtrot, agents.charlie!].map((agent) => fx.app.platform.assets.inventoryOf(agent.assetId)),
      );
      expect(stored!.hash).toBe(serverInventoryHash(OS, PACKAGES));
      expect(stored!.setId).toBe(asJson!.setId);
      expect(stored!.packages.find((p) => p.name === 'openssl')?.ecosystem).toBe('Debian:12');
    });

    it('answers 413 for an inventory over the size limit', async () => {
      const { bravo } = agents;
      const response = await fx.app.inject({
        method: 'PUT',
        url: '/agent/v1/inventory',
        headers: { authorization: `Bearer ${bravo!.credential}`, 'content-type': 'application/json' },
        payload: JSON.stringify({
          ...inventoryBody(bravo!.agentId, bravo!.facts),
          pad: 'x'.repeat(9 * 1024 * 1024),
        }),
      });
      expect(response.statusCode).toBe(413);
      expect(response.json().code).toBe('PW_ERR_PAYLOAD_TOO_LARGE');
    });

    it('a revoked credential stops working at once, though heartbeats had cached it', async () => {
      const charlie = await enrol('charlie', '52:54:00:00:00:0c');
      const heartbeat = () =>
        fx.app.inject({
          method: 'POST',
          url: '/agent/v1/checkin',
          headers: { authorization: `Bearer ${charlie.credential}` },
          payload: checkinBody(charlie),
        });
      expect((await heartbeat()).statusCode).toBe(200);
      expect((await heartbeat()).statusCode).toBe(200);
      await fx.app.platform.auth.revokeAgent(charlie.agentId, { kind: 'system', name: 'test' });
      expect((await heartbeat()).statusCode).toBe(401);
    });

    it('a heartbeat with changed facts is merged at once, after heartbeats that changed nothing', async () => {
      const delta = await enrol('delta', '52:54:00:00:00:0d');
      const send = (hostFacts: AgentFacts) =>
        fx.app.inject({
          method: 'POST',
          url: '/agent/v1/checkin',
          headers: { authorization: `Bearer ${delta.credential}` },
          payload: { ...checkinBody(delta), facts: hostFacts },
        });
      expect((await send(delta.facts)).statusCode).toBe(200);
      expect((await send({ ...delta.facts, kernel: '6.1.0-2-amd64' })).statusCode).toBe(200);
      expect((await fx.app.platform.assets.get(delta.assetId))?.kernel).toBe('6.1.0-2-amd64');
      // The change is audited, by the agent, naming what moved; the unchanged heartbeat is not.
      const merges = (await fx.app.platform.audit.query({ action: 'asset.merge' })).entries.filter(
        (e) => e.target?.id === delta.assetId,
      );
      expect(merges).toHaveLength(1);
      expect(merges[0]).toMatchObject({
        actor: { kind: 'agent', id: delta.agentId },
        after: { kernel: '6.1.0-2-amd64' },
        details: { source: 'agent', changed: expect.arrayContaining(['kernel']) },
      });
      // And an admin's edit is what the next heartbeat compares against, not a stale copy.
      await fx.app.platform.assets.update(delta.assetId, { fqdn: 'delta.example.net' });
      expect((await send({ ...delta.facts, kernel: '6.1.0-2-amd64' })).statusCode).toBe(200);
      expect((await fx.app.platform.assets.get(delta.assetId))?.fqdn).toBe('delta.example.net');
    });
  });

  describe(`agent heartbeats' last_seen (${backend})`, () => {
    it('is written when the app closes, before a database closed in onClose, and never moves back', async () => {
      let now = new Date('2025-03-01T00:00:00.000Z');
      const target = await freshTarget(backend);
      let database = await openDatabase(target.options);
      // As the CLI's server command does: the database closes in an onClose hook added last, which
      // fastify runs first.
      const app = await createPatchwardenApp({ database, logger: false, rateLimit: false, now: () => now });
      app.addHook('onClose', () => database.close());
      try {
        const { secret } = await app.platform.auth.createEnrolmentSecret(
          { name: 'for echo', maxUses: 1, expiresAt: new Date(now.getTime() + 60_000) },
          { kind: 'system', name: 'test' },
        );
        const hostFacts = facts('echo', '52:54:00:00:00:0e');
        const echo = (
          await app.inject({
            method: 'POST',
            url: '/agent/v1/enrol',
            payload: { enrolmentSecret: secret, hostname: 'echo', facts: hostFacts },
          })
        ).json() as { agentId: string; assetId: string; credential: string };
        const heartbeat = () =>
          app.inject({
            method: 'POST',
            url: '/agent/v1/checkin',
            headers: { authorization: `Bearer ${echo.credential}` },
            payload: checkinBody({ ...echo, facts: hostFacts }),
          });
        now = new Date('2025-03-01T00:05:00.000Z');
        expect((await heartbeat()).statusCode).toBe(200);
        now = new Date('2025-03-01T00:03:00.000Z'); // A clock step back must not move it back.
        expect((await heartbeat()).statusCode).toBe(200);
        await app.close();
        database = await openDatabase(target.options);
        const row = await database.db
          .selectFrom('assets')
          .select('last_seen')
          .where('id', '=', echo.assetId)
          .executeTakeFirstOrThrow();
        expect(row.last_seen?.toISOString()).toBe('2025-03-01T00:05:00.000Z');
      } finally {
        await app.close();
        await database.close();
        await target.remove();
      }
    }, 60_000);
  });
}

function checkinBody(agent: { agentId: string; facts: AgentFacts }) {
  return {
    agentId: agent.agentId,
    inventoryHash: serverInventoryHash(OS, PACKAGES),
    facts: agent.facts,
    uptimeSeconds: 5,
    rebootRequired: false,
    agentVersion: '0.1.0',
  };
}
