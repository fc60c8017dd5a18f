import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssetRepository } from '../assets/asset-repository.ts';
import type { Database } from '../database/open-database.ts';
import { openDatabase } from '../database/open-database.ts';
import { BACKENDS, freshTarget } from '../testing/test-database.ts';
import type { TestTarget } from '../testing/test-database.ts';
import { AgentCredentialCache } from './agent-credential-cache.ts';
import { AuthRepository } from './auth-repository.ts';

const SYSTEM = { kind: 'system', name: 'test' } as const;

describe('AgentCredentialCache', () => {
  const agent = { agentId: 'agent-1', assetId: 'asset-1', lastSeenAt: undefined };

  it('forgets an entry after its time to live', () => {
    let now = 0;
    const cache = new AgentCredentialCache({ ttlMs: 5_000, now: () => now });
    cache.store('hash-1', agent, cache.generation());
    now = 4_999;
    expect(cache.get('hash-1')).toMatchObject({ agentId: 'agent-1' });
    now = 5_000;
    expect(cache.get('hash-1')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('drops a revoked agent at once, and a read begun before the revocation cannot bring it back', () => {
    const cache = new AgentCredentialCache();
    cache.store('hash-1', agent, cache.generation());
    cache.store('hash-2', { ...agent, agentId: 'agent-2' }, cache.generation());
    const readBefore = cache.generation();
    cache.revoke('agent-1');
    expect(cache.get('hash-1')).toBeUndefined();
    expect(cache.get('hash-2')).toMatchObject({ agentId: 'agent-2' });
    cache.store('hash-1', agent, readBefore);
    expect(cache.get('hash-1')).toBeUndefined();
  });
});

for (const backend of BACKENDS) {
  describe(`verifyAgentCredential with its cache (${backend})`, () => {
    let target: TestTarget;
    let database: Database;

    beforeAll(async () => {
      target = await freshTarget(backend);
      database = await openDatabase(target.options);
    }, 60_000);
    afterAll(async () => {
      await database?.close();
      await target?.remove();
    });

    async function enrolled(auth: AuthRepository, hostname: string, clock = new Date()) {
      const { asset } = await new AssetRepository(database).upsertFromReport(
        { source: 'agent', facts: { hostname, ips: [], macs: [] } },
        new Date().toISOString(),
      );
      const { secret } = await auth.createEnrolmentSecret(
        { name: hostname, maxUses: 1, expiresAt: new Date(clock.getTime() + 60_000) },
        SYSTEM,
      );
      return { assetId: asset.id, ...(await auth.enrolAgent({ secret, assetId: asset.id })) };
    }

    it('a revocation through any repository of the process stops a cached credential at once', async () => {
      const serving = new AuthRepository(database);
      const admin = new AuthRepository(database);
      const { agent, credential, assetId } = await enrolled(serving, 'cred-cache-a');
      expect(await serving.verifyAgentCredential(credential)).toEqual({ agentId: agent.id, assetId });
      expect(await serving.verifyAgentCredential(credential)).toEqual({ agentId: agent.id, assetId });
      await admin.revokeAgent(agent.id, SYSTEM);
      expect(await serving.verifyAgentCredential(credential)).toBeUndefined();
    });

    it('answers a cached credential without reading the agents row again', async () => {
      const auth = new AuthRepository(database);
      const { agent, credential } = await enrolled(auth, 'cred-cache-b');
      await auth.verifyAgentCredential(credential);
      // Revoked behind the process's back (as another server process would): still served from
      // the cache, for at most AGENT_CREDENTIAL_TTL_MS (the TTL itself is tested above).
      await database.db
        .updateTable('agents')
        .set({ revoked_at: new Date() })
        .where('id', '=', agent.id)
        .execute();
      expect(await auth.verifyAgentCredential(credential)).toMatchObject({ agentId: agent.id });
      // A repository on another Database object has no such entry and reads the row.
      const elsewhere = await openDatabase(target.options);
      try {
        expect(await new AuthRepository(elsewhere).verifyAgentCredential(credential)).toBeUndefined();
      } finally {
        await elsewhere.close();
      }
    });

    it('still touches agents.last_seen_at once per touch interval when served from the cache', async () => {
      let now = new Date('2025-03-01T00:00:00.000Z');
      const auth = new AuthRepository(database, { clock: () => now, touchIntervalMs: 60_000 });
      const { agent, credential } = await enrolled(auth, 'cred-cache-c', now);
      const seen = async () =>
        (
          await database.db
            .selectFrom('agents')
            .select('last_seen_at')
            .where('id', '=', agent.id)
            .executeTakeFirstOrThrow()
        ).last_seen_at?.toISOString();
      await auth.verifyAgentCredential(credential);
      expect(await seen()).toBe('2025-03-01T00:00:00.000Z');
      now = new Date('2025-03-01T00:00:30.000Z');
      await auth.verifyAgentCredential(credential);
      expect(await seen()).toBe('2025-03-01T00:00:00.000Z');
      now = new Date('2025-03-01T00:01:00.000Z');
      await auth.verifyAgentCredential(credential);
      expect(await seen()).toBe('2025-03-01T00:01:00.000Z');
    });
  });
}
