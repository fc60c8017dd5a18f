/**
 * Issue 5's DONE criterion: on a fleet loaded from a real inventory (a Vuls scan of an AlmaLinux
 * 9.0 host, shared data, three hosts built from it), matched in the store against the real
 * AlmaLinux 9 OSV feed and the CISA KEV catalogue (committed fixtures), the queue shows the right
 * patches, due dates and windows for a policy applied through the API (with an emergency and an
 * expired exception), all explained, through the API and through the CLI. Skipped when
 * ../shared/data is absent.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { PatchQueue } from '@patchwarden/core';
import { importFeeds } from '@patchwarden/feeds';
import { parseInventoryFile } from '@patchwarden/inventory';
import { PERMISSIONS } from '@patchwarden/core';
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
import { fixturePath, REPO_ROOT, sharedDataPath } from '../../../test-support/shared-data.ts';
import { freshTarget } from '../../store/src/testing/test-database.ts';
import type { TestTarget } from '../../store/src/testing/test-database.ts';
import { StoreSink } from '../src/store/store-sink.ts';
import { queueCommand } from '../src/commands/queue.ts';
import { createPatchwardenApp } from '../../server/src/app/patchwarden-app.ts';

const run = promisify(execFile);
const INVENTORY = sharedDataPath('inventory/vuls-scan-results/alma_9.json');
const FEED = fixturePath('feeds/almalinux9-osv.jsonl.gz');
const KEV = fixturePath('kev/known_exploited_vulnerabilities.json.gz');
const BIN = resolve(REPO_ROOT, 'node_modules/.bin/patchwarden');

// A Wednesday after the newest erratum in the feed (2026-08-20); the fleet was first scanned on 24 August.
const NOW = '2026-09-02T10:00:00.000Z';
const FIRST_SEEN = '2026-08-24T00:00:00.000Z';

const POLICY_YAML = `apiVersion: patchwarden/v1
kind: PatchPolicy
metadata:
  name: alma-fleet
spec:
  baselines:
    - name: production
      assets: env:production
      rules:
        - name: kernel
          match: { packages: [kernel] }
        - name: security
          match: { patchTypes: [security] }
          autoApproveAfterDays: 7
    - name: rest
      rules:
        - name: everything
          autoApproveAfterDays: 0
  slas:
    - name: kev
      when: { kev: true }
      days: 2
      kevDueDate: true
    - name: high-severity
      when: { severityAtLeast: high }
      days: 30
    - name: medium-severity
      when: { severityAtLeast: medium }
      days: 90
    - name: everything
      days: 180
  windows:
    - id: prod-sunday
      timeZone: Europe/Berlin
      recurrence:
        rrule: |-
          DTSTART:20260104T020000
          RRULE:FREQ=WEEKLY;BYDAY=SU
      durationMinutes: 240
  windowAssignments:
    - assets: env:production
      windows: [prod-sunday]
  exceptions:
    - id: EXC-SUDO-OLD
      scope: { assets: env:production, packages: [sudo] }
      reason: sudoers rewrite pending
      compensatingControl: no interactive logins on production
      approver: ciso@example.org
      createdAt: "2026-06-01T00:00:00Z"
      expiresAt: "2026-09-01T00:00:00Z"
    - id: EXC-DB-OPENSSL
      scope: { assets: "name:db-*", packages: ["openssl*"] }
      reason: database vendor certifies one OpenSSL build
      compensatingControl: database port reachable from the app tier only
      approver: ciso@example.org
      createdAt: "2026-08-25T00:00:00Z"
      expiresAt: "2026-11-25T00:00:00Z"
  emergencies:
    - id: EMG-0286
      cve: CVE-2023-0286
      declaredAt: "2026-09-01T12:00:00Z"
      deadlineHours: 48
      overrideWindows: true
      reason: X.400 type confusion exploited against our TLS terminators
`;

const HOSTS = [
  {
    name: 'web-1',
    environment: 'production',
    exposure: 'internet',
    businessImpact: 5,
    dataSensitivity: 'confidential',
  },
  {
    name: 'db-1',
    environment: 'production',
    exposure: 'internal',
    businessImpact: 4,
    dataSensitivity: 'restricted',
  },
  {
    name: 'dev-1',
    environment: 'development',
    exposure: 'internal',
    businessImpact: 2,
    dataSensitivity: 'internal',
  },
] as const;

type Queue = PatchQueue & { policyVersion?: number };

/** The checks every view of the queue must pass, whichever way it was fetched. */
function expectRightQueue(queue: Queue, ids: Record<string, string>): void {
  const name = (assetId: string) => Object.entries(ids).find(([, id]) => id === assetId)?.[0];
  expect(queue.now).toBe('2026-09-02T10:00:00Z');
  expect(queue.summary.open).toBe(queue.summary.queued + queue.summary.suppressed + queue.summary.withoutFix);

  // The expired exception no longer suppresses: sudo is queued on all three hosts, and says why.
  const sudo = queue.items.filter((i) => i.packageName === 'sudo');
  expect(sudo.flatMap((i) => i.assets.map((a) => name(a.assetId))).sort()).toEqual([
    'db-1',
    'dev-1',
    'web-1',
  ]);
  const sudoOnWeb = sudo.flatMap((i) => i.findings).find((f) => f.assetId === ids['web-1']);
  expect(sudoOnWeb?.explanation).toContain('reopened: exception EXC-SUDO-OLD expired 2026-09-01T00:00:00Z');

  // The emergency: due 48 h after its declaration on every host, approval forced, windows overridden,
  // and the OpenSSL exception on db-1 ignored for it.
  const emergencyPlans = queue.items
    .filter((i) => i.emergencies.includes('EMG-0286'))
    .flatMap((i) => i.assets.filter((a) => a.emergency));
  expect(emergencyPlans.map((a) => name(a.assetId)).sort()).toEqual(['db-1', 'dev-1', 'web-1']);
  for (const plan of emergencyPlans) {
    expect(plan.due).toBe('2026-09-03T12:00:00Z');
    expect(plan.approval).toMatchObject({ state: 'approved', rule: 'emergency:EMG-0286' });
    expect(plan.slot).toMatchObject({ mode: 'emergency-override', plannedAt: '2026-09-02T10:00:00Z' });
  }
  const dbEmergency = queue.items
    .filter((i) => i.emergencies.includes('EMG-0286'))
    .flatMap((i) => i.findings)
    .find((f) => f.assetId === ids['db-1'] && f.id === 'ALSA-2023:0946');
  expect(dbEmergency?.explanation).toContain('ignored: emergency EMG-0286 in force');
  expect(queue.suppressed.some((f) => f.assetId === ids['db-1'] && f.packageName.startsWith('openssl'))).toBe(
    true,
  );

  // Production patches land in the Sunday window in Berlin; development has no window.
  const curl = queue.items.find((i) => i.packageName === 'curl')!;
  expect(curl.due).toBe('2026-09-23T00:00:00Z');
  expect(curl.assets.find((a) => a.assetId === ids['web-1'])?.slot).toMatchObject({
    mode: 'window',
    windowId: 'prod-sunday',
    windowStart: '2026-09-06T02:00:00+02:00',
  });
  expect(curl.assets.find((a) => a.assetId === ids['dev-1'])?.slot.mode).toBe('anytime');

  // The top of the queue: the kernel, which waits for a person on production.
  const [top] = queue.items;
  expect(top?.packageName).toBe('kernel');
  expect(top?.sla).toBe('breached');
  expect(top?.assets.map((a) => [name(a.assetId), a.approval.state, a.slot.mode]).sort()).toEqual([
    ['db-1', 'pending', 'unscheduled'],
    ['dev-1', 'approved', 'anytime'],
    ['web-1', 'pending', 'unscheduled'],
  ]);
  for (const item of queue.items) expect(item.explanation.length).toBeGreaterThanOrEqual(7);
}

describe.skipIf(!INVENTORY)(
  'the patch queue of a real AlmaLinux 9 fleet, through the API and the CLI',
  () => {
    let target: TestTarget;
    let database: Database;
    let app: FastifyInstance;
    let server: string;
    let token: string;
    let workDir: string;
    const ids: Record<string, string> = {};

    beforeAll(async () => {
      target = await freshTarget('embedded');
      database = await openDatabase(target.options);
      workDir = await mkdtemp(join(tmpdir(), 'pw-queue-api-'));
      const statuses = await importFeeds(new StoreSink(new IntelRepository(database)), [FEED, KEV]);
      expect(statuses.every((s) => s.ok)).toBe(true);

      const inventory = await parseInventoryFile(INVENTORY as string);
      const assets = new AssetRepository(database);
      const findings = new FindingsService(database);
      for (const host of HOSTS) {
        const { asset } = await assets.upsertFromReport(
          {
            source: 'agent',
            facts: {
              hostname: host.name,
              os: { id: 'almalinux', versionId: '9.0', ecosystem: 'AlmaLinux:9' },
            },
          },
          FIRST_SEEN,
        );
        await assets.update(asset.id, {
          name: host.name,
          environment: host.environment,
          exposure: host.exposure,
          businessImpact: host.businessImpact,
          dataSensitivity: host.dataSensitivity,
          assetClasses: ['os'],
        });
        await assets.replaceInventory(asset.id, inventory.packages, FIRST_SEEN);
        await findings.recomputeFindings(asset.id, FIRST_SEEN);
        ids[host.name] = asset.id;
      }

      const clock = () => new Date(NOW);
      // The full app registers the policy plugin itself (packages/server/src/policy).
      app = await createPatchwardenApp({
        database,
        logger: false,
        now: clock,
        rateLimit: false,
      });
      const auth = new AuthRepository(database, { clock });
      const system = { kind: 'system', name: 'test' } as const;
      const admin = await auth.createUser({ username: 'ada', password: 'Sup3r-Secret-Passphrase' }, system);
      await auth.addRoleBinding({ userId: admin.id, role: 'admin', scope: { kind: 'global' } }, system);
      token = (
        await auth.createToken(
          { userId: admin.id, name: 'cli', scopes: [...PERMISSIONS], expiresAt: '2026-12-31T00:00:00Z' },
          system,
        )
      ).secret;
      server = await app.listen({ host: '127.0.0.1', port: 0 });
    }, 120_000);
    afterAll(async () => {
      await app?.close();
      await database?.close();
      await target?.remove();
      if (workDir) await rm(workDir, { recursive: true, force: true });
    });

    it('applies the policy through the API and serves the right queue', async () => {
      const put = await app.inject({
        method: 'PUT',
        url: '/api/v1/policy',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'text/yaml' },
        body: POLICY_YAML,
      });
      expect(put.statusCode, put.body).toBe(200);
      expect(put.json()).toEqual({ version: 1 });
      const audit = (await new AuditLog(database).query({ action: 'policy.apply' })).entries;
      expect(audit[0]).toMatchObject({ actor: { kind: 'token', name: 'ada' }, after: { version: 1 } });

      const started = performance.now();
      const response = await app.inject({
        method: 'GET',
        url: '/api/v1/queue?limit=1000',
        headers: { authorization: `Bearer ${token}` },
      });
      const ms = Math.round(performance.now() - started);
      expect(response.statusCode).toBe(200);
      const queue = response.json() as Queue;
      const s = queue.summary;
      console.log(
        `queue API on the stored alma 9 fleet (${ms} ms, ${(response.body.length / 1e6).toFixed(1)} MB): ` +
          `${s.findings} findings, ${s.patches} patches, ${s.assetJobs} asset jobs, ${s.suppressed} suppressed, ` +
          `${s.withoutFix} without fix, ${s.predictedBreaches} predicted breaches, ${s.emergencyPatches} emergency patches`,
      );
      expect(queue.policyVersion).toBe(1);
      expect((queue as Queue & { page: { total: number } }).page.total).toBe(queue.items.length);
      expectRightQueue(queue, ids);

      // Pages of 25 walk the same ranked patches and the same suppressed and without-fix lists.
      const walked = { items: [] as string[], suppressed: [] as string[], withoutFix: [] as string[] };
      let offset: number | undefined = 0;
      let pages = 0;
      while (offset !== undefined) {
        const next = (
          await app.inject({
            method: 'GET',
            url: `/api/v1/queue?limit=25&offset=${offset}`,
            headers: { authorization: `Bearer ${token}` },
          })
        ).json() as Queue & { page: { nextOffset?: number; total: number } };
        expect(next.items.length).toBeLessThanOrEqual(25);
        expect(next.page.total).toBe(queue.items.length);
        walked.items.push(...next.items.map((i) => i.id));
        walked.suppressed.push(...next.suppressed.map((f) => f.key));
        walked.withoutFix.push(...next.withoutFix.map((f) => f.key));
        offset = next.page.nextOffset;
        pages++;
      }
      expect(pages).toBeGreaterThan(1);
      expect(walked.items).toEqual(queue.items.map((i) => i.id));
      expect(walked.suppressed).toEqual(queue.suppressed.map((f) => f.key));
      expect(walked.withoutFix).toEqual(queue.withoutFix.map((f) => f.key));
      const bad = await app.inject({
        method: 'GET',
        url: '/api/v1/queue?limit=0',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.body).toContain('limit');

      const production = await app.inject({
        method: 'GET',
        url: '/api/v1/queue?filter=env:development',
        headers: { authorization: `Bearer ${token}` },
      });
      const devOnly = production.json() as Queue;
      expect(new Set(devOnly.items.flatMap((i) => i.assets.map((a) => a.assetId)))).toEqual(
        new Set([ids['dev-1']]),
      );
    });

    it("explains a finding's risk factor by factor, its SSVC decision, and the risk matrix", async () => {
      const get = (url: string) =>
        app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
      const page = (await get(`/api/v1/findings?asset=${ids['db-1']}&status=open&limit=1000`)).json() as {
        items: { id: number; finding: { severity: string } }[];
      };
      expect(page.items.length).toBeGreaterThan(100);
      const answer = (await get(`/api/v1/findings/${page.items[0]!.id}/risk`)).json() as {
        policyVersion: number;
        risk: {
          score: number;
          level: string;
          factors: { factor: string; contribution: number; explanation: string }[];
        };
        ssvc: { decision: string; points: Record<string, string> };
      };
      expect(answer.policyVersion).toBe(1);
      const sum = answer.risk.factors.reduce((total, f) => total + f.contribution, 0);
      expect(sum).toBeCloseTo(answer.risk.score, 2);
      expect(answer.risk.factors.map((f) => f.factor)).toEqual(
        expect.arrayContaining(['cvss', 'kev', 'exposure', 'business-impact']),
      );
      expect(answer.risk.factors.every((f) => f.explanation.length > 0)).toBe(true);
      expect(['track', 'track*', 'attend', 'act']).toContain(answer.ssvc.decision.toLowerCase());
      expect((await get('/api/v1/findings/999999999/risk')).statusCode).toBe(404);

      let open = 0;
      let cursor: string | undefined;
      do {
        const next = (
          await get(
            `/api/v1/findings?asset=${ids['db-1']}&status=open&limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
          )
        ).json() as { items: unknown[]; nextCursor?: string };
        open += next.items.length;
        cursor = next.nextCursor;
      } while (cursor);
      const matrix = (await get('/api/v1/reports/risk-matrix?filter=name:db-1')).json() as {
        total: number;
        suppressed: number;
      };
      expect(matrix.total).toBe(open);

      // The OpenSSL exception on db-1 suppresses the same findings in the findings list, the risk
      // matrix and the queue; the emergency's OpenSSL finding is not among them.
      type Listed = {
        id: number;
        status: string;
        finding: { id: string; package: { name: string } };
        policy: { suppressed: boolean; exceptions: { id: string }[]; expiredExceptions: { id: string }[] };
      };
      const all = async (query: string): Promise<Listed[]> => {
        const out: Listed[] = [];
        let after: string | undefined;
        do {
          const next = (
            await get(`/api/v1/findings?${query}&limit=1000${after ? `&cursor=${after}` : ''}`)
          ).json() as {
            items: Listed[];
            nextCursor?: string;
          };
          out.push(...next.items);
          after = next.nextCursor;
        } while (after);
        return out;
      };
      const suppressed = await all(`asset=${ids['db-1']}&status=open&suppressed=only`);
      expect(suppressed.length).toBeGreaterThan(0);
      for (const f of suppressed) {
        expect(f.finding.package.name).toMatch(/^openssl/);
        expect(f.policy.exceptions.map((e) => e.id)).toEqual(['EXC-DB-OPENSSL']);
      }
      expect(suppressed.some((f) => f.finding.id === 'ALSA-2023:0946')).toBe(false);
      expect(matrix.suppressed).toBe(suppressed.length);
      const queue = (await get('/api/v1/queue?limit=1000&filter=name:db-1')).json() as Queue;
      expect(queue.summary.suppressed).toBe(suppressed.length);
      const everything = await all(`asset=${ids['db-1']}&status=open&suppressed=include`);
      expect(everything.length).toBe(open + suppressed.length);
      // The expired sudo exception is named on the reopened findings, which are not suppressed.
      const sudo = everything.filter((f) => f.finding.package.name === 'sudo');
      expect(sudo.length).toBeGreaterThan(0);
      for (const f of sudo) {
        expect(f.policy.suppressed).toBe(false);
        expect(f.policy.expiredExceptions.map((e) => e.id)).toEqual(['EXC-SUDO-OLD']);
      }
      const risk = (await get(`/api/v1/findings/${suppressed[0]!.id}/risk`)).json() as {
        policy: { suppressed: boolean };
      };
      expect(risk.policy.suppressed).toBe(true);
    });

    it("treats a person's risk acceptance as an opt-out that the emergency overrides", async () => {
      const call = (method: 'GET' | 'PATCH', url: string, payload?: object) =>
        app.inject({
          method,
          url,
          headers: { authorization: `Bearer ${token}` },
          ...(payload ? { payload } : {}),
        });
      type Row = { id: number; finding: { id: string; package: { name: string } } };
      const onWeb = (
        (await call('GET', `/api/v1/findings?asset=${ids['web-1']}&status=open&limit=1000`)).json() as {
          items: Row[];
        }
      ).items;
      const urgent = onWeb.find((f) => f.finding.id === 'ALSA-2023:0946')!;
      const calm = onWeb.find((f) => f.finding.package.name === 'curl')!;
      for (const f of [urgent, calm]) {
        const set = await call('PATCH', `/api/v1/findings/${f.id}`, {
          status: 'risk-accepted',
          reason: 'legacy TLS clients',
        });
        expect(set.statusCode, set.body).toBe(200);
      }
      try {
        const queue = (await call('GET', '/api/v1/queue?limit=1000&filter=name:web-1')).json() as Queue;
        const accepted = queue.suppressed.filter(
          (f) => f.assetId === ids['web-1'] && f.packageName === 'curl',
        );
        expect(accepted.length).toBeGreaterThan(0);
        expect(accepted.every((f) => f.exceptions.includes('risk-accepted:ada'))).toBe(true);
        const forced = queue.items
          .flatMap((i) => i.findings)
          .find((f) => f.id === 'ALSA-2023:0946' && f.assetId === ids['web-1']);
        expect(forced?.explanation).toContain(
          'risk accepted by ada (legacy TLS clients) ignored: emergency EMG-0286',
        );
        const listed = (
          (
            await call('GET', `/api/v1/findings?asset=${ids['web-1']}&status=risk-accepted&limit=1000`)
          ).json() as {
            items: (Row & { policy: { suppressed: boolean; emergencies: string[] } })[];
          }
        ).items;
        expect(listed.find((f) => f.id === urgent.id)?.policy).toMatchObject({
          suppressed: false,
          emergencies: ['EMG-0286'],
        });
        expect(listed.find((f) => f.id === calm.id)?.policy.suppressed).toBe(true);
      } finally {
        for (const f of [urgent, calm]) {
          await call('PATCH', `/api/v1/findings/${f.id}`, { status: 'open', reason: 'test over' });
        }
      }
    });

    it('shows the same queue through the CLI, and a what-if from a file', async () => {
      const args = ['queue', '--server', server, '--token', token, '--format', 'json', '--all'];
      const text = (
        await run(BIN, args, { maxBuffer: 256 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } })
      ).stdout;
      const queue = JSON.parse(text) as Queue;
      expect(queue.policyVersion).toBe(1);
      expectRightQueue(queue, ids);

      const table = await captureStdout(() =>
        queueCommand().parseAsync(['--server', server, '--token', token, '--filter', 'name:web-1'], {
          from: 'user',
        }),
      );
      expect(table).toMatch(/^Patch queue at 2026-09-02T10:00:00Z \(policy version 1\)/);
      expect(table).toMatch(/\n1 +kernel /);
      expect(table).toContain('prod-sunday 2026-09-06T02:00:00+02:00');

      const proposed = join(workDir, 'proposed.yaml');
      await writeFile(proposed, POLICY_YAML.replace('days: 30', 'days: 7'));
      const { policyCommand } = await import('../src/commands/policy.ts');
      const whatIf = JSON.parse(
        await captureStdout(() =>
          policyCommand().parseAsync(
            ['what-if', '-f', proposed, '--server', server, '--token', token, '--format', 'json'],
            {
              from: 'user',
            },
          ),
        ),
      );
      expect(whatIf.summary.dueEarlier).toBeGreaterThan(0);
      expect(whatIf.summary.dueLater).toBe(0);
      expect(whatIf.summary.predictedBreachesAfter).toBeGreaterThan(whatIf.summary.predictedBreachesBefore);
    });

    it('computes the same queue offline, from the data directory, with no server', async () => {
      // One process owns a PGlite directory at a time: stop the server and close the store first.
      await app.close();
      await database.close();
      const dataDir = (target.options as { dataDir: string }).dataDir;
      const policyFile = join(workDir, 'policy.yaml');
      await writeFile(policyFile, POLICY_YAML);
      const stored = JSON.parse(
        await captureStdout(() =>
          queueCommand().parseAsync(
            ['--offline', '--store', '--data-dir', dataDir, '--at', NOW, '--format', 'json', '--all'],
            {
              from: 'user',
            },
          ),
        ),
      ) as Queue;
      expect(stored.policyVersion).toBe(1);
      expectRightQueue(stored, ids);
      const fromFile = JSON.parse(
        await captureStdout(() =>
          queueCommand().parseAsync(
            [
              '--offline',
              '--data-dir',
              dataDir,
              '--at',
              NOW,
              '--policy',
              policyFile,
              '--format',
              'json',
              '--all',
            ],
            {
              from: 'user',
            },
          ),
        ),
      ) as Queue;
      expect(fromFile.policyVersion).toBeUndefined();
      expectRightQueue(fromFile, ids);
      database = await openDatabase(target.options); // for afterAll
      app = undefined as unknown as FastifyInstance;
    });
  },
);

async function captureStdout(fn: () => Promise<unknown>): Promise<string> {
  const chunks: string[] = [];
  const original = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }) as typeof process.stdout.write;
  try {
    await fn();
  } finally {
    process.stdout.write = original;
  }
  return chunks.join('');
}
