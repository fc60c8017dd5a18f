// Response bodies are read loosely: their schemas are the server's, checked by fastify.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../../../store/src/testing/test-database.ts';
import { platformFixture } from '../testing/platform-fixture.ts';
import type { PlatformFixture } from '../testing/platform-fixture.ts';

const CSV = [
  'name,hostname,ip,environment,owner_team,business_impact',
  'web-01,web-01,10.1.0.1,production,web,4',
  'web-02,web-02,10.1.0.2,production,web,3',
  'db-01,db-01,10.2.0.1,production,dba,5',
].join('\n');

interface Listed {
  id: string;
  name: string;
  ownerTeam?: string;
  state: string;
}

for (const backend of BACKENDS) {
  describe(`asset, finding and report routes over HTTP (${backend})`, () => {
    let fx: PlatformFixture;
    let base: string;
    const tokens: Record<string, string> = {};
    let byName: Record<string, Listed> = {};

    const call = async (who: string, method: string, path: string, body?: unknown) => {
      const response = await fetch(`${base}/api/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${tokens[who]}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, any> };
    };

    beforeAll(async () => {
      fx = await platformFixture(backend);
      base = await fx.app.listen({ host: '127.0.0.1', port: 0 });
      tokens.admin = await fx.tokenFor('admin');
      tokens.viewer = await fx.tokenFor('viewer');
      tokens.webOperator = await fx.tokenFor('operator', { kind: 'team', team: 'web' });
      tokens.dbaViewer = await fx.tokenFor('viewer', { kind: 'asset-filter', filter: 'team:dba' });
      const imported = await call('admin', 'POST', '/assets/import', { format: 'csv', content: CSV });
      expect(imported.status).toBe(200);
      expect(imported.body).toMatchObject({ created: 3, merged: 0 });
      const listed = await call('admin', 'GET', '/assets');
      byName = Object.fromEntries((listed.body.items as Listed[]).map((a) => [a.name, a]));
    }, 60_000);
    afterAll(() => fx?.close());

    it('lists every asset for a global viewer, with its state (unknown: no inventory yet)', async () => {
      const listed = await call('viewer', 'GET', '/assets');
      expect(listed.status).toBe(200);
      expect((listed.body.items as Listed[]).map((a) => `${a.name}:${a.state}`)).toEqual([
        'db-01:unknown',
        'web-01:unknown',
        'web-02:unknown',
      ]);
      const filtered = await call('viewer', 'GET', '/assets?filter=' + encodeURIComponent('impact>=4'));
      expect((filtered.body.items as Listed[]).map((a) => a.name)).toEqual(['db-01', 'web-01']);
    });

    it('scopes lists and reads to the caller’s team or asset filter', async () => {
      const web = await call('webOperator', 'GET', '/assets');
      expect((web.body.items as Listed[]).map((a) => a.name)).toEqual(['web-01', 'web-02']);
      const dba = await call('dbaViewer', 'GET', '/assets');
      expect((dba.body.items as Listed[]).map((a) => a.name)).toEqual(['db-01']);
      const hidden = await call('dbaViewer', 'GET', `/assets/${byName['web-01']!.id}`);
      expect(hidden.status).toBe(404);
    });

    it('lets an operator edit an asset of their team, audited with before and after', async () => {
      const edited = await call('webOperator', 'PATCH', `/assets/${byName['web-01']!.id}`, {
        exposure: 'internet',
        tags: ['pci'],
      });
      expect(edited.status).toBe(200);
      expect(edited.body).toMatchObject({ exposure: 'internet', tags: ['pci'] });
      const audit = await fx.app.platform.audit.query({ action: 'asset.update' });
      expect(audit.entries[0]).toMatchObject({ target: { type: 'asset', id: byName['web-01']!.id } });
    });

    it('refuses a viewer’s edit and a team operator’s edit of another team’s asset (403), changing nothing', async () => {
      const viewer = await call('viewer', 'PATCH', `/assets/${byName['db-01']!.id}`, { environment: 'test' });
      expect(viewer.status).toBe(403);
      expect(viewer.body.code).toBe('PW_ERR_FORBIDDEN');
      const operator = await call('webOperator', 'PATCH', `/assets/${byName['db-01']!.id}`, {
        environment: 'test',
      });
      expect([403, 404]).toContain(operator.status);
      const away = await call('webOperator', 'PATCH', `/assets/${byName['web-02']!.id}`, {
        ownerTeam: 'dba',
      });
      expect(away.status).toBe(403);
      expect((await fx.app.platform.assets.get(byName['db-01']!.id))?.environment).toBe('production');
      expect((await fx.app.platform.assets.get(byName['web-02']!.id))?.ownerTeam).toBe('web');
    });

    it('answers bad input with errors naming the field', async () => {
      const bad = await call('admin', 'PATCH', `/assets/${byName['db-01']!.id}`, { businessImpact: 9 });
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body.details)).toContain('body.businessImpact');
      const unknown = await call('admin', 'PATCH', `/assets/${byName['db-01']!.id}`, { colour: 'red' });
      expect(unknown.status).toBe(400);
    });

    it('refuses a CSV import with one bad row (400 naming its line) and writes nothing', async () => {
      const before = (await call('admin', 'GET', '/assets')).body.items.length;
      const response = await call('admin', 'POST', '/assets/import', {
        format: 'csv',
        content: 'name,hostname,business_impact\nnew-01,new-01,3\nnew-02,new-02,11\n',
      });
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('PW_ERR_INVALID_RECORD');
      expect(response.body.details.line).toBe(3);
      expect((await call('admin', 'GET', '/assets')).body.items.length).toBe(before);
    });

    it('serves findings, packages and reports within scope', async () => {
      const findings = await call('viewer', 'GET', '/findings');
      expect(findings.status).toBe(200);
      expect(findings.body.items).toEqual([]);
      const packages = await call('viewer', 'GET', `/assets/${byName['db-01']!.id}/packages`);
      expect(packages.body.items).toEqual([]);
      const stale = await call('dbaViewer', 'GET', '/reports/stale?days=30');
      expect((stale.body.items as Listed[]).map((a) => a.name)).toEqual(['db-01']);
      const hidden = await call('viewer', 'GET', '/reports/hidden');
      expect(hidden.body.items).toHaveLength(3);
      const missing = await call('viewer', 'PATCH', '/findings/999', {
        status: 'risk-accepted',
        reason: 'x',
      });
      expect(missing.status).toBe(404);
    });

    it('documents the routes in the OpenAPI document', async () => {
      const document = await fetch(`${base}/api/v1/openapi.json`).then((r) => r.json() as Promise<any>);
      expect(Object.keys(document.paths)).toEqual(
        expect.arrayContaining([
          '/api/v1/assets',
          '/api/v1/assets/{id}',
          '/api/v1/findings/{id}',
          '/agent/v1/inventory',
        ]),
      );
      // The upload's two forms: JSON, and the envelope line followed by the raw canonical text.
      const upload = document.paths['/agent/v1/inventory'].put.requestBody.content;
      expect(Object.keys(upload).sort()).toEqual([
        'application/json',
        'application/vnd.patchwarden.inventory',
      ]);
      expect(upload['application/json'].schema.$ref).toMatch(/AgentInventoryRequest/);
      expect(upload['application/vnd.patchwarden.inventory'].schema).toMatchObject({ type: 'string' });
    });
  });
}
