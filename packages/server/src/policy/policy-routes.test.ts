import { PERMISSIONS } from '@patchwarden/core';
import type { Role } from '@patchwarden/core';
import { parseInventoryFile } from '@patchwarden/inventory';
import {
  AssetRepository,
  AuditLog,
  AuthRepository,
  FindingsService,
  IntelRepository,
  openDatabase,
} from '@patchwarden/store';
import type { Database } from '@patchwarden/store';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath } from '../../../../test-support/shared-data.ts';
import { fixtureAdvisories } from '../../../store/src/testing/feed-fixtures.ts';
import { freshTarget } from '../../../store/src/testing/test-database.ts';
import type { TestTarget } from '../../../store/src/testing/test-database.ts';
import { buildServer } from '../app/build-server.ts';
import { authPlugin } from '../auth/auth-plugin.ts';
import { policyPlugin } from './policy-routes.ts';

const SYSTEM = { kind: 'system', name: 'test' } as const;
const NOW = '2025-06-10T00:00:00.000Z';
const FIRST_SEEN = '2025-06-01T00:00:00.000Z';

const POLICY = `apiVersion: patchwarden/v1
kind: PatchPolicy
metadata:
  name: api-test
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

describe('the policy routes on a real server and store', () => {
  let target: TestTarget;
  let database: Database;
  let app: FastifyInstance;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    target = await freshTarget('embedded');
    database = await openDatabase(target.options);
    const clock = () => new Date(NOW);
    const repository = new AuthRepository(database, { clock });
    app = await buildServer({
      logger: false,
      metrics: { defaultMetrics: false },
      services: { clock },
      plugins: [authPlugin({ repository }), policyPlugin({ database })],
    });
    await app.ready();
    for (const [name, role, scope] of [
      ['ada', 'admin', { kind: 'global' }],
      ['paul', 'approver', { kind: 'global' }],
      ['tina', 'approver', { kind: 'team', team: 'web' }],
      ['vera', 'viewer', { kind: 'global' }],
    ] as const) {
      const user = await repository.createUser(
        { username: name, password: 'Sup3r-Secret-Passphrase' },
        SYSTEM,
      );
      await repository.addRoleBinding({ userId: user.id, role: role as Role, scope }, SYSTEM);
      const scopes =
        role === 'admin' ? [...PERMISSIONS] : ['findings:read', 'approvals:decide', 'tokens:own'];
      const { secret } = await repository.createToken(
        {
          userId: user.id,
          name: 'cli',
          scopes: role === 'viewer' ? ['findings:read'] : scopes,
          expiresAt: '2025-12-31T00:00:00Z',
        },
        SYSTEM,
      );
      tokens[name] = secret;
    }
    // One application on a real pnpm lockfile (Trivy tests, Apache-2.0) with the real lodash
    // advisory GHSA-jf85-cpcp-j695 (CC-BY-4.0).
    await new IntelRepository(database).upsertAdvisories(
      await fixtureAdvisories('feeds/GHSA-jf85-cpcp-j695.json'),
    );
    const lockfile = await parseInventoryFile(
      fixturePath('inventory/trivy-integration/lockfiles/pnpm/pnpm-lock.yaml'),
    );
    const assets = new AssetRepository(database);
    const { asset } = await assets.upsertFromReport(
      { source: 'sbom', facts: { name: 'shop-frontend', kind: 'application' } },
      FIRST_SEEN,
    );
    await assets.update(asset.id, { ownerTeam: 'shop' });
    await assets.replaceInventory(asset.id, lockfile.packages, FIRST_SEEN);
    await new FindingsService(database).recomputeFindings(asset.id, FIRST_SEEN);
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
    await target?.remove();
  });

  const as = (user: string) => ({ authorization: `Bearer ${tokens[user]}` });

  it('serves the default policy before any is applied, as JSON and YAML', async () => {
    const json = await app.inject({ method: 'GET', url: '/api/v1/policy', headers: as('vera') });
    expect(json.statusCode, json.body).toBe(200);
    expect(json.headers['x-policy-version']).toBe('0');
    expect(json.json()).toMatchObject({ apiVersion: 'patchwarden/v1', kind: 'PatchPolicy' });
    const yaml = await app.inject({ method: 'GET', url: '/api/v1/policy?format=yaml', headers: as('vera') });
    expect(yaml.headers['content-type']).toContain('text/yaml');
    expect(yaml.body).toContain('apiVersion: patchwarden/v1');
    expect((await app.inject({ method: 'GET', url: '/api/v1/policy' })).statusCode).toBe(401);
  });

  it('applies a YAML policy only for global approvers and admins, refusing bad fields by path', async () => {
    const put = (user: string, body: string, type = 'text/yaml') =>
      app.inject({
        method: 'PUT',
        url: '/api/v1/policy',
        headers: { ...as(user), 'content-type': type },
        body,
      });
    expect((await put('vera', POLICY)).json()).toMatchObject({ code: 'PW_ERR_FORBIDDEN' });
    // A team-scoped approver decides for its team's assets, not for the fleet's policy.
    expect((await put('tina', POLICY)).statusCode).toBe(403);

    const bad = await put('paul', POLICY.replace('days: 30', 'days: -3'));
    expect(bad.statusCode, bad.body).toBe(400);
    expect(bad.json()).toMatchObject({
      code: 'PW_ERR_INVALID_RECORD',
      details: { field: 'spec.slas[0].days', line: 14 },
    });

    const first = await put('paul', POLICY);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toEqual({ version: 1 });
    const second = await put(
      'ada',
      JSON.stringify({ yaml: POLICY.replace('days: 30', 'days: 7'), comment: 'tighter' }),
      'application/json',
    );
    expect(second.json()).toEqual({ version: 2 });

    const versions = await app.inject({ method: 'GET', url: '/api/v1/policy/versions', headers: as('vera') });
    expect(versions.json().items).toEqual([
      { version: 2, name: 'api-test', createdAt: NOW, createdBy: 'ada', comment: 'tighter' },
      { version: 1, name: 'api-test', createdAt: NOW, createdBy: 'paul' },
    ]);
    const v1 = await app.inject({
      method: 'GET',
      url: '/api/v1/policy/versions/1?format=yaml',
      headers: as('vera'),
    });
    expect(v1.body).toBe(POLICY);
    const v2 = await app.inject({ method: 'GET', url: '/api/v1/policy/versions/2', headers: as('vera') });
    expect(v2.json()).toMatchObject({ version: 2, document: { metadata: { revision: 2 } } });
    const missing = await app.inject({
      method: 'GET',
      url: '/api/v1/policy/versions/9',
      headers: as('vera'),
    });
    expect(missing.statusCode).toBe(404);

    const entries = (await new AuditLog(database).query({ action: 'policy.apply' })).entries;
    expect(entries.map((e) => [e.actor.kind, e.actor.name, e.before, e.after])).toEqual([
      ['token', 'ada', { version: 1 }, { version: 2 }],
      ['token', 'paul', null, { version: 1 }],
    ]);
  });

  it('serves the queue under the current policy, filtered by asset and by scope', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v1/queue', headers: as('vera') });
    expect(response.statusCode, response.body).toBe(200);
    const queue = response.json();
    expect(queue.policyVersion).toBe(2);
    const lodash = queue.items.find((i: { packageName: string }) => i.packageName === 'lodash');
    expect(lodash).toMatchObject({ fixedVersion: '4.17.12', due: '2025-06-08T00:00:00Z', sla: 'breached' });
    expect(lodash.assets[0]).toMatchObject({ assetName: 'shop-frontend', slot: { mode: 'anytime' } });
    expect(lodash.explanation.length).toBeGreaterThan(3);

    const at = await app.inject({
      method: 'GET',
      url: '/api/v1/queue?at=2025-06-03T00:00:00Z',
      headers: as('vera'),
    });
    expect(at.json().items.find((i: { packageName: string }) => i.packageName === 'lodash').sla).toBe(
      'on-track',
    );
    const filtered = await app.inject({
      method: 'GET',
      url: '/api/v1/queue?filter=kind:server',
      headers: as('vera'),
    });
    expect(filtered.json().items).toEqual([]);
    // tina reads findings only for team web: the shop's application is not hers to see.
    const scoped = await app.inject({ method: 'GET', url: '/api/v1/queue', headers: as('tina') });
    expect(scoped.statusCode).toBe(200);
    expect(scoped.json().items).toEqual([]);
    const badFilter = await app.inject({
      method: 'GET',
      url: '/api/v1/queue?filter=nosuch:x',
      headers: as('vera'),
    });
    expect(badFilter.statusCode).toBe(400);
  });

  it('simulates a proposed policy without saving it', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/policy/what-if',
      headers: { ...as('vera'), 'content-type': 'text/yaml' },
      body: POLICY,
    });
    expect(response.statusCode, response.body).toBe(200);
    const result = response.json();
    expect(result.policyVersion).toBe(2);
    expect(result.summary.dueLater).toBeGreaterThan(0);
    expect(result.before).toBeUndefined();
    const lodash = result.patches.find((p: { id: string }) => p.id.includes('lodash'));
    expect(lodash).toMatchObject({ dueBefore: '2025-06-08T00:00:00Z', dueAfter: '2025-07-01T00:00:00Z' });
    expect(result.breaches.resolved.length).toBeGreaterThan(0);
    const versions = await app.inject({ method: 'GET', url: '/api/v1/policy/versions', headers: as('vera') });
    expect(versions.json().items).toHaveLength(2);
  });

  it('records patch-type overrides in the audit log, for deciders only', async () => {
    const body = {
      ecosystem: 'npm',
      package: 'lodash',
      fixedVersion: '4.17.12',
      type: 'bugfix',
      reason: 'prototype pollution unreachable in this build',
    };
    const refused = await app.inject({
      method: 'POST',
      url: '/api/v1/patches/type-overrides',
      headers: as('vera'),
      payload: body,
    });
    expect(refused.statusCode).toBe(403);
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/patches/type-overrides',
      headers: as('paul'),
      payload: body,
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ ...body, by: 'paul', at: NOW });
    const queue = (await app.inject({ method: 'GET', url: '/api/v1/queue', headers: as('vera') })).json();
    const lodash = queue.items.find((i: { packageName: string }) => i.packageName === 'lodash');
    expect(lodash.classification).toMatchObject({ type: 'bugfix', appliedBy: 'override' });
    const entries = (await new AuditLog(database).query({ action: 'patch.type_override' })).entries;
    expect(entries[0]).toMatchObject({ actor: { name: 'paul' }, target: { id: 'npm/lodash@4.17.12' } });
    const invalid = await app.inject({
      method: 'POST',
      url: '/api/v1/patches/type-overrides',
      headers: as('paul'),
      payload: { ...body, type: 'urgent' },
    });
    expect(invalid.json()).toMatchObject({ code: 'PW_ERR_VALIDATION' });
  });

  it('grants and renews exceptions as new policy versions; the queue suppresses at once', async () => {
    const grant = {
      id: 'EXC-LODASH',
      scope: { packages: ['lodash'] },
      reason: 'merge() is never called with user input',
      compensatingControl: 'input schema rejects __proto__',
      expiresAt: '2025-07-10T00:00:00Z',
    };
    const post = (user: string, payload: object, url = '/api/v1/policy/exceptions') =>
      app.inject({ method: 'POST', url, headers: as(user), payload });
    expect((await post('vera', grant)).statusCode).toBe(403);
    expect((await post('tina', grant)).statusCode).toBe(403); // a team binding does not decide for all

    const granted = await post('paul', grant);
    expect(granted.statusCode, granted.body).toBe(201);
    expect(granted.json()).toMatchObject({
      policyVersion: 3,
      exception: { id: 'EXC-LODASH', approver: 'paul', createdAt: NOW, state: 'active', daysLeft: 30 },
    });
    const queue = (await app.inject({ method: 'GET', url: '/api/v1/queue', headers: as('vera') })).json();
    expect(queue.items.find((i: { packageName: string }) => i.packageName === 'lodash')).toBeUndefined();
    expect(queue.suppressed.map((f: { exceptions: string[] }) => f.exceptions)).toContainEqual([
      'EXC-LODASH',
    ]);
    // The rest of the text is the author's, as applied: the edit appends to it.
    const yaml = (
      await app.inject({ method: 'GET', url: '/api/v1/policy/versions/3?format=yaml', headers: as('vera') })
    ).body;
    expect(yaml).toContain('name: api-test');
    expect(yaml).toContain('id: EXC-LODASH');

    const duplicate = await post('paul', grant);
    expect(duplicate.statusCode).toBe(400);
    expect(duplicate.json().details.issues[0].path).toBe('spec.exceptions.EXC-LODASH');
    const backwards = await post('paul', { ...grant, id: 'EXC-2', expiresAt: '2025-06-01T00:00:00Z' });
    expect(backwards.statusCode).toBe(400);
    expect(backwards.json().message).toContain('expiresAt');
    const noScope = await post('paul', { ...grant, id: 'EXC-3', scope: { assets: 'env:production' } });
    expect(noScope.statusCode).toBe(400);

    const renewUrl = '/api/v1/policy/exceptions/EXC-LODASH/renew';
    const tooLong = await post('ada', { expiresAt: '2026-09-01T00:00:00Z' }, renewUrl);
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json().message).toContain('more than one term');
    const renewed = await post('ada', { expiresAt: '2025-10-01T00:00:00Z' }, renewUrl);
    expect(renewed.statusCode, renewed.body).toBe(200);
    expect(renewed.json()).toMatchObject({
      policyVersion: 4,
      exception: { approver: 'ada', renewals: 1, expiresAt: '2025-10-01T00:00:00Z' },
    });
    expect(
      (await post('ada', { expiresAt: '2025-11-01T00:00:00Z' }, '/api/v1/policy/exceptions/NOPE/renew'))
        .statusCode,
    ).toBe(404);

    const listed = await app.inject({
      method: 'GET',
      url: '/api/v1/policy/exceptions?state=active',
      headers: as('vera'),
    });
    expect(listed.json()).toMatchObject({
      policyVersion: 4,
      items: [{ id: 'EXC-LODASH', renewals: 1, state: 'active' }],
    });
    const audit = (await new AuditLog(database).query({})).entries.filter((e) =>
      e.action.startsWith('policy.exception.'),
    );
    expect(audit.map((e) => [e.action, e.actor.name, e.after])).toEqual([
      ['policy.exception.renew', 'ada', { version: 4 }],
      ['policy.exception.grant', 'paul', { version: 3 }],
    ]);
  });

  it('declares an emergency that overrides the exception at once, and lifts it', async () => {
    const post = (user: string, payload: object, url = '/api/v1/policy/emergencies') =>
      app.inject({ method: 'POST', url, headers: as(user), payload });
    const lodashItem = async (at = NOW) =>
      (await app.inject({ method: 'GET', url: `/api/v1/queue?at=${at}`, headers: as('vera') }))
        .json()
        .items.find((i: { packageName: string }) => i.packageName === 'lodash');
    expect(await lodashItem()).toBeUndefined(); // EXC-LODASH suppresses it

    const body = {
      id: 'EMG-LODASH',
      patch: { ecosystem: 'npm', package: 'lodash' },
      deadlineHours: 24,
      overrideWindows: true,
      reason: 'prototype pollution exploited in the wild',
    };
    expect((await post('vera', body)).statusCode).toBe(403);
    const both = await post('paul', { ...body, cve: 'CVE-2019-10744' });
    expect(both.statusCode).toBe(400);
    expect(both.json().details.issues[0].path).toBe('spec.emergencies.EMG-LODASH');

    const declared = await post('paul', body);
    expect(declared.statusCode, declared.body).toBe(201);
    expect(declared.json().emergency).toMatchObject({
      declaredBy: 'paul',
      declaredAt: NOW,
      state: 'in-force',
      deadline: '2025-06-11T00:00:00.000Z',
    });
    const forced = await lodashItem();
    expect(forced).toMatchObject({ emergencies: ['EMG-LODASH'], approval: { state: 'approved' } });
    expect(forced.findings[0].explanation).toContain('EXC-LODASH');
    expect(forced.findings[0].explanation).toContain('ignored: emergency EMG-LODASH in force');

    const lift = '/api/v1/policy/emergencies/EMG-LODASH/lift';
    const early = await post('paul', { liftedAt: '2025-06-09T00:00:00Z' }, lift);
    expect(early.statusCode).toBe(400);
    expect(early.json().message).toContain('must be after declaredAt');
    // Lifted an hour after it was declared: in force until then, not after.
    const lifted = await post('paul', { liftedAt: '2025-06-10T01:00:00Z' }, lift);
    expect(lifted.statusCode, lifted.body).toBe(200);
    expect(lifted.json().emergency).toMatchObject({ liftedAt: '2025-06-10T01:00:00Z', state: 'in-force' });
    expect(await lodashItem()).toMatchObject({ emergencies: ['EMG-LODASH'] });
    expect(await lodashItem('2025-06-10T01:00:00Z')).toBeUndefined();
    const again = await post('paul', { liftedAt: '2025-06-10T02:00:00Z' }, lift);
    expect(again.statusCode).toBe(400);
    expect(again.json().message).toContain('already lifted');
    const listed = await app.inject({
      method: 'GET',
      url: '/api/v1/policy/emergencies',
      headers: as('vera'),
    });
    expect(listed.json().items).toMatchObject([
      { id: 'EMG-LODASH', state: 'in-force', liftedAt: '2025-06-10T01:00:00Z' },
    ]);
  });
});
