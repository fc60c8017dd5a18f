import { utimesSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { PatchwardenError } from '@patchwarden/core';
import { sharedDataPath } from '../../../../test-support/shared-data.ts';
import {
  advisoriesOf,
  collect,
  damaged,
  issuesOf,
  readHostile,
  tempDir,
} from '../feed-input/test-support.ts';
import { alpineSecdbReader } from './alpine-secdb-reader.ts';

/** In the secdb format (alpine-secdb v3.X/main.yaml); packages, versions and ids made up for the test. */
const YAML_SAMPLE = `---
distroversion: v3.99
reponame: main
archs:
  - x86_64
urlprefix: http://dl-cdn.alpinelinux.org/alpine
apkurl: "{{urlprefix}}/{{distroversion}}/{{reponame}}/{{arch}}/{{pkg.name}}-{{pkg.ver}}.apk"
packages:
  - pkg:
      name: examplepkg
      secfixes:
        2.10-r0:
          - CVE-2024-0001
          - CVE-2024-0002 XSA-900
        2.9.1-r3:
          - CVE-2024-0001
        0:
          - CVE-2023-9999
  - pkg:
      name: otherpkg
      secfixes:
        1.0-r1:
          - XSA-901
          - CVE-2024-0002
          - CVE-????-?????
  - pkg:
      name: nofixes
  - pkg:
      secfixes:
        1.0-r0:
          - CVE-2024-0003
`;

const JSON_SAMPLE = JSON.stringify({
  apkurl: '{{urlprefix}}/{{distroversion}}/{{reponame}}/{{arch}}/{{pkg.name}}-{{pkg.ver}}.apk',
  archs: ['x86_64'],
  reponame: 'community',
  urlprefix: 'https://dl-cdn.alpinelinux.org/alpine',
  distroversion: 'v3.99',
  packages: [
    { pkg: { name: 'examplepkg', secfixes: { '2.10-r0': ['CVE-2024-0001'], '0': ['CVE-2024-0004'] } } },
  ],
});

const tmp = tempDir('alpine');
afterAll(() => tmp.cleanup());

describe('alpineSecdbReader', () => {
  it('reads the YAML form: one advisory per id, a fixed range per package and version', async () => {
    const path = tmp.file('main.yaml', YAML_SAMPLE);
    const when = new Date('2020-06-08T00:00:00Z');
    utimesSync(path, when, when);
    const records = await collect(alpineSecdbReader, path);
    const advisories = advisoriesOf(records);
    // Parsed mappings list integer-like keys ("0") first, so its id comes first.
    expect(advisories.map((a) => a.id)).toEqual([
      'CVE-2023-9999',
      'CVE-2024-0001',
      'CVE-2024-0002',
      'XSA-901',
    ]);
    const [never, twoVersions, shared, xsa] = advisories;
    expect(twoVersions).toEqual({
      id: 'CVE-2024-0001',
      aliases: [],
      related: [],
      source: 'alpine-secdb',
      modified: '2020-06-08T00:00:00.000Z',
      severity: [],
      cwes: [],
      references: [{ type: 'ADVISORY', url: 'https://security.alpinelinux.org/vuln/CVE-2024-0001' }],
      database_specific: { distroversion: 'v3.99', reponame: 'main' },
      affected: [
        {
          ecosystem: 'Alpine:v3.99',
          name: 'examplepkg',
          versions: [],
          ranges: [
            // "2.10" stays "2.10": the YAML is read without type guessing.
            { type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.10-r0' }] },
            { type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.9.1-r3' }] },
          ],
        },
      ],
    });
    expect(shared!.aliases).toEqual(['XSA-900']);
    expect(shared!.affected.map((p) => [p.name, p.ranges[0]!.events[1]])).toEqual([
      ['examplepkg', { fixed: '2.10-r0' }],
      ['otherpkg', { fixed: '1.0-r1' }],
    ]);
    expect(never!.affected).toEqual([]);
    expect(never!.database_specific).toEqual({
      distroversion: 'v3.99',
      reponame: 'main',
      not_affected: ['examplepkg'],
    });
    expect(xsa!.references).toEqual([]);
    expect(issuesOf(records)).toEqual([
      {
        file: path,
        line: 19,
        record: 'otherpkg',
        message: 'otherpkg 1.0-r1: no advisory id in "CVE-????-?????"',
      },
      { file: path, line: 28, record: 'packages[3]', message: 'packages[3]: no pkg.name' },
    ]);
  });

  it('reads the JSON form served by secdb.alpinelinux.org, gzipped or not', async () => {
    for (const path of [
      tmp.file('community.json', JSON_SAMPLE),
      tmp.file('community.json.gz', gzipSync(JSON_SAMPLE)),
    ]) {
      const advisories = advisoriesOf(await collect(alpineSecdbReader, path));
      expect(advisories.map((a) => [a.id, a.affected.map((p) => `${p.ecosystem} ${p.name}`)])).toEqual([
        ['CVE-2024-0004', []],
        ['CVE-2024-0001', ['Alpine:v3.99 examplepkg']],
      ]);
      expect(advisories[1]!.database_specific).toEqual({ distroversion: 'v3.99', reponame: 'community' });
    }
  });

  it('refuses a file without distroversion, and invalid YAML, naming the file', async () => {
    const path = tmp.file('nodistro.yaml', 'reponame: main\npackages: []\n');
    await expect(collect(alpineSecdbReader, path)).rejects.toMatchObject({
      code: 'PW_ERR_INVALID_RECORD',
      details: { file: path, field: 'distroversion' },
    });
    const bad = tmp.file('bad.yaml', 'distroversion: v3.1\npackages:\n  - pkg: [\n');
    await expect(collect(alpineSecdbReader, bad)).rejects.toMatchObject({
      code: 'PW_ERR_PARSE',
      details: { file: bad },
    });
  });

  it('reports a package listed as both never affected and fixed, keeping the fix', async () => {
    const path = tmp.file(
      'contradiction.json',
      JSON.stringify({
        distroversion: 'v3.99',
        packages: [
          { pkg: { name: 'p', secfixes: { '0': ['CVE-1-1'], '1.0-r0': ['CVE-2024-0005'] } } },
          { pkg: { name: 'q', secfixes: { '0': ['CVE-2024-0006'], '2-r0': ['CVE-2024-0006'] } } },
        ],
      }),
    );
    const records = await collect(alpineSecdbReader, path);
    const both = advisoriesOf(records).find((a) => a.id === 'CVE-2024-0006')!;
    expect(both.affected.map((p) => p.name)).toEqual(['q']);
    expect(issuesOf(records).map((i) => i.message)).toEqual([
      'p 0: no advisory id in "CVE-1-1"',
      'q: CVE-2024-0006 is listed both as never affected (0) and as fixed; kept the fix',
    ]);
  });

  it('sniffs both forms and not OSV', () => {
    expect(alpineSecdbReader.sniff('v3.19/main.yaml', YAML_SAMPLE)).toBe(true);
    expect(alpineSecdbReader.sniff('v3.19/main.json', JSON_SAMPLE)).toBe(true);
    expect(
      alpineSecdbReader.sniff('x.json', '{"id":"ALPINE-1","modified":"2024-01-01T00:00:00Z","affected":[]}'),
    ).toBe(false);
  });

  it('never hangs or throws anything but a PatchwardenError on damaged input', async () => {
    const forms: [string, Buffer][] = [
      ['damaged.yaml', Buffer.from(YAML_SAMPLE)],
      ['damaged.json', Buffer.from(JSON_SAMPLE)],
    ];
    for (const [name, valid] of forms) {
      await fc.assert(
        fc.asyncProperty(damaged(valid), async (bytes) => {
          const path = tmp.file(name, bytes);
          const outcome = await readHostile(alpineSecdbReader, path);
          if (outcome instanceof PatchwardenError) return;
          for (const record of outcome) if (record.kind === 'issue') expect(record.issue.file).toBe(path);
        }),
        { numRuns: 50 },
      );
    }
  });
});

describe('alpineSecdbReader on the real secdb files in ../shared/data', () => {
  const dir = sharedDataPath('advisories-alpine');
  it.skipIf(!dir)('reads all 18 files (v3.3 to v3.11) and spot-checks known fixes', async () => {
    const totals: Record<string, { advisories: number; ranges: number; issues: number }> = {};
    const byFile = new Map<string, ReturnType<typeof advisoriesOf>>();
    for (const release of ['3.3', '3.4', '3.5', '3.6', '3.7', '3.8', '3.9', '3.10', '3.11']) {
      for (const repo of ['main', 'community']) {
        const name = `secdb-v${release}-${repo}.yaml`;
        const records = await collect(alpineSecdbReader, `${dir}/${name}`);
        const advisories = advisoriesOf(records);
        byFile.set(name, advisories);
        totals[name] = {
          advisories: advisories.length,
          ranges: advisories.reduce((n, a) => n + a.affected.reduce((m, p) => m + p.ranges.length, 0), 0),
          issues: issuesOf(records).length,
        };
      }
    }
    console.info('[alpine-secdb] per file:', JSON.stringify(totals));
    expect(totals['secdb-v3.3-community.yaml']).toEqual({ advisories: 0, ranges: 0, issues: 0 });
    expect(totals['secdb-v3.11-main.yaml']).toEqual({ advisories: 1123, ranges: 1199, issues: 0 });
    // The one entry refused in all 18 files: an empty string under heimdal 7.4.0-r0 in v3.6 main.
    expect(Object.values(totals).reduce((n, t) => n + t.issues, 0)).toBe(1);
    expect(totals['secdb-v3.6-main.yaml']!.issues).toBe(1);
    const v311 = byFile.get('secdb-v3.11-main.yaml')!;
    const ansible = v311.find((a) => a.id === 'CVE-2019-14904')!;
    expect(ansible.affected).toEqual([
      {
        ecosystem: 'Alpine:v3.11',
        name: 'ansible',
        versions: [],
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.9.3-r0' }] }],
      },
    ]);
    // Xen: ids paired with their XSA.
    const xen = v311.find((a) => a.aliases.includes('XSA-214'))!;
    expect(xen.id).toBe('CVE-2017-8904');
    // Two fixes for one CVE in one package (an incomplete first fix): both ranges kept.
    const busybox = v311.find((a) => a.id === 'CVE-2019-5747')!;
    expect(busybox.affected[0]!.ranges.map((r) => r.events[1])).toEqual([
      { fixed: '1.30.1-r2' },
      { fixed: '1.29.3-r10' },
    ]);
  });
});
