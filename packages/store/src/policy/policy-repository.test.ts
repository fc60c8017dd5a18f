import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, parsePolicyYaml, PatchwardenError } from '@patchwarden/core';
import { fixturePath } from '../../../../test-support/shared-data.ts';
import { parseInventoryFile } from '@patchwarden/inventory';
import { AssetRepository } from '../assets/asset-repository.ts';
import { AuditLog } from '../audit/audit-log.ts';
import type { Database } from '../database/open-database.ts';
import { openDatabase } from '../database/open-database.ts';
import { FindingsService } from '../findings/compute-findings.ts';
import { IntelRepository } from '../intel/intel-repository.ts';
import { fixtureAdvisories } from '../testing/feed-fixtures.ts';
import { BACKENDS, freshTarget } from '../testing/test-database.ts';
import type { TestTarget } from '../testing/test-database.ts';
import { PolicyRepository } from './policy-repository.ts';
import { QueueService } from './queue-service.ts';

const ALICE = { kind: 'user', id: 'u-1', name: 'alice' } as const;
const NOW = '2025-06-01T00:00:00.000Z';

const POLICY = `# comments survive in the stored text
apiVersion: patchwarden/v1
kind: PatchPolicy
metadata:
  name: test
spec:
  baselines:
    - name: all
      rules:
        - name: security
          match: { patchTypes: [security] }
          autoApproveAfterDays: 0
  slas:
    - name: everything
      days: 30
  windows: []
  windowAssignments: []
  exceptions: []
  emergencies: []
`;

for (const backend of BACKENDS) {
  describe(`policy versions on ${backend}`, () => {
    let target: TestTarget;
    let database: Database;
    let policies: PolicyRepository;
    let audit: AuditLog;
    beforeAll(async () => {
      target = await freshTarget(backend);
      database = await openDatabase(target.options);
      policies = new PolicyRepository(database, { clock: () => new Date(NOW) });
      audit = new AuditLog(database);
    });
    afterAll(async () => {
      await database?.close();
      await target?.remove();
    });

    it('starts with the default policy as version 0', async () => {
      const current = await policies.current();
      expect(current.version).toBe(0);
      expect(current.document).toEqual(DEFAULT_POLICY);
      expect(await policies.versions()).toEqual([]);
    });

    it('refuses a bad policy naming the field path, and stores nothing', async () => {
      const bad = POLICY.replace('days: 30', 'days: -3');
      const error = await policies.apply(bad, 'bad.yaml', ALICE).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PatchwardenError);
      expect((error as PatchwardenError).details).toMatchObject({
        file: 'bad.yaml',
        field: 'spec.slas[0].days',
      });
      expect(await policies.versions()).toEqual([]);
      expect((await audit.query({ action: 'policy.apply' })).entries).toEqual([]);
    });

    it('stores versions with their history and audits each apply with before/after versions', async () => {
      const v1 = await policies.apply(POLICY, 'p.yaml', ALICE, 'first');
      const v2 = await policies.apply(POLICY.replace('days: 30', 'days: 7'), 'p.yaml', ALICE);
      expect([v1.version, v2.version]).toEqual([1, 2]);
      expect(v2.document.metadata.revision).toBe(2);
      expect(v2.document.spec.slas[0]?.days).toBe(7);
      expect((await policies.current()).version).toBe(2);
      expect((await policies.version(1))?.yaml).toBe(POLICY);
      expect((await policies.version(1))?.document).toEqual({
        ...parsePolicyYaml(POLICY, 'p.yaml'),
        metadata: { name: 'test', revision: 1 },
      });
      expect(await policies.version(3)).toBeUndefined();
      expect(await policies.versions()).toEqual([
        { version: 2, name: 'test', createdAt: NOW, createdBy: 'alice' },
        { version: 1, name: 'test', createdAt: NOW, createdBy: 'alice', comment: 'first' },
      ]);
      const entries = (await audit.query({ action: 'policy.apply' })).entries;
      expect(entries.map((e) => [e.before, e.after])).toEqual([
        [{ version: 1 }, { version: 2 }],
        [null, { version: 1 }],
      ]);
      expect((await audit.verify()).ok).toBe(true);
    });

    it('records patch-type overrides, replacing earlier ones, audited', async () => {
      const key = { ecosystem: 'npm', package: 'lodash', fixedVersion: '4.17.12' };
      await policies.setTypeOverride({ ...key, type: 'bugfix', reason: 'test only' }, ALICE);
      const second = await policies.setTypeOverride({ ...key, type: 'security', reason: 'really' }, ALICE);
      expect(second).toEqual({ ...key, type: 'security', reason: 'really', by: 'alice', at: NOW });
      expect(await policies.typeOverrides()).toEqual([second]);
      const entries = (await audit.query({ action: 'patch.type_override' })).entries;
      expect(entries[0]?.before).toMatchObject({ type: 'bugfix' });
      expect(entries[0]?.after).toMatchObject({ type: 'security' });
      await expect(
        policies.setTypeOverride({ ...key, type: 'nonsense' as 'security', reason: 'x' }, ALICE),
      ).rejects.toMatchObject({ code: 'PW_ERR_VALIDATION', details: { field: 'type' } });
    });

    it('builds the queue from stored assets, findings and the current policy', async () => {
      // Real GitHub advisory (CC-BY-4.0) and a real pnpm lockfile from Trivy's tests (Apache-2.0).
      await new IntelRepository(database).upsertAdvisories(
        await fixtureAdvisories('feeds/GHSA-jf85-cpcp-j695.json'),
      );
      const lockfile = await parseInventoryFile(
        fixturePath('inventory/trivy-integration/lockfiles/pnpm/pnpm-lock.yaml'),
      );
      const assets = new AssetRepository(database);
      const { asset } = await assets.upsertFromReport(
        { source: 'sbom', facts: { name: 'shop-frontend', kind: 'application' } },
        NOW,
      );
      await assets.replaceInventory(asset.id, lockfile.packages, NOW);
      await new FindingsService(database).recomputeFindings(asset.id, NOW);

      const service = new QueueService(database, policies);
      const queue = await service.queue({ now: '2025-06-10T00:00:00.000Z' });
      expect(queue.policyVersion).toBe(2);
      const lodash = queue.items.find((i) => i.packageName === 'lodash');
      expect(lodash?.fixedVersion).toBe('4.17.12');
      // The SLA of the current version (7 days from first sighting).
      expect(lodash?.due).toBe('2025-06-08T00:00:00Z');
      expect(lodash?.sla).toBe('breached');
      // The stored override classifies the patch.
      expect(lodash?.classification).toMatchObject({ type: 'security', appliedBy: 'override' });
      expect(queue.summary.open).toBe(
        queue.summary.queued + queue.summary.suppressed + queue.summary.withoutFix,
      );

      const none = await service.queue({ now: '2025-06-10T00:00:00.000Z', filter: 'kind:server' });
      expect(none.items).toEqual([]);

      const whatIf = await service.whatIf(parsePolicyYaml(POLICY, 'proposed.yaml'), {
        now: '2025-06-10T00:00:00.000Z',
      });
      expect(whatIf.summary.dueLater).toBeGreaterThan(0);
      expect(whatIf.patches.find((p) => p.id === lodash?.id)?.dueAfter).toBe('2025-07-01T00:00:00Z');
    });
  });
}
