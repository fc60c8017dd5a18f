import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { PatchwardenError } from '@patchwarden/core';
import { fixturePath, sharedDataPath } from '../../../../test-support/shared-data.ts';
import {
  advisoriesOf,
  collect,
  damaged,
  issuesOf,
  readHostile,
  tempDir,
  zipOf,
} from '../feed-input/test-support.ts';
import { osvReader } from './osv-reader.ts';

const GHSA_DIR = fixturePath('feed-readers/osv/ghsa');
const UBUNTU_DIR = fixturePath('feed-readers/osv/ubuntu');
const fixtureText = (dir: string, name: string) => readFileSync(join(dir, name), 'utf8');
const compact = (text: string) => JSON.stringify(JSON.parse(text));
const GHSA_LODASH = fixtureText(GHSA_DIR, 'GHSA-jf85-cpcp-j695.json');
const GHSA_MINIMIST = fixtureText(GHSA_DIR, 'GHSA-xvch-5gv4-984h.json');
const tmp = tempDir('osv');
afterAll(() => tmp.cleanup());

describe('osvReader on committed fixtures', () => {
  it('reads a directory tree of records, recursively and in name order', async () => {
    const root = join(tmp.dir, 'tree');
    mkdirSync(join(root, 'npm', '2019'), { recursive: true });
    mkdirSync(join(root, 'ubuntu'), { recursive: true });
    tmp.file('tree/npm/2019/GHSA-jf85-cpcp-j695.json', GHSA_LODASH);
    tmp.file('tree/npm/GHSA-xvch-5gv4-984h.json', GHSA_MINIMIST);
    for (const name of readdirSync(UBUNTU_DIR))
      tmp.file(`tree/ubuntu/${name}`, fixtureText(UBUNTU_DIR, name));
    tmp.file('tree/ubuntu/notes.txt', 'not a record');
    const records = await collect(osvReader, root);
    expect(issuesOf(records)).toEqual([]);
    expect(advisoriesOf(records).map((a) => a.id)).toEqual([
      'GHSA-jf85-cpcp-j695',
      'GHSA-xvch-5gv4-984h',
      'UBUNTU-CVE-2024-51988',
      'UBUNTU-CVE-2013-2208',
      'UBUNTU-CVE-2014-9913',
      'USN-5614-1',
    ]);
    const lodash = advisoriesOf(records)[0]!;
    expect(lodash).toMatchObject({ source: 'osv', aliases: ['CVE-2019-10744'], cwes: ['CWE-20'] });
    expect(lodash.affected[0]).toMatchObject({ ecosystem: 'npm', name: 'lodash' });
    const withdrawn = advisoriesOf(records).find((a) => a.id === 'UBUNTU-CVE-2013-2208')!;
    expect(withdrawn.withdrawn).toBe('2025-07-18T16:42:51Z');
  });

  it('reads JSONL, gzipped JSONL and a single array file alike, numbering JSONL lines', async () => {
    const lines = [
      compact(GHSA_LODASH),
      '',
      '{"id": "BROKEN-1", "modified": 7}',
      '{not json',
      compact(GHSA_MINIMIST),
    ];
    const jsonl = tmp.file('ghsa.jsonl', lines.join('\n') + '\n');
    const gz = tmp.file('ghsa.jsonl.gz', gzipSync(readFileSync(jsonl)));
    const array = tmp.file('ghsa-array.json', `[${compact(GHSA_LODASH)},\n${compact(GHSA_MINIMIST)}]`);
    for (const path of [jsonl, gz]) {
      const records = await collect(osvReader, path);
      expect(advisoriesOf(records).map((a) => a.id)).toEqual(['GHSA-jf85-cpcp-j695', 'GHSA-xvch-5gv4-984h']);
      expect(issuesOf(records)).toEqual([
        { file: path, line: 3, record: 'BROKEN-1', message: 'modified: must be a string' },
        { file: path, line: 4, message: expect.stringMatching(/^invalid JSON: /) },
      ]);
    }
    expect(advisoriesOf(await collect(osvReader, array)).map((a) => a.id)).toEqual([
      'GHSA-jf85-cpcp-j695',
      'GHSA-xvch-5gv4-984h',
    ]);
  });

  it('reads records from a zip such as osv.dev all.zip, entry by entry', async () => {
    const names = readdirSync(UBUNTU_DIR);
    const zip = tmp.file(
      'all.zip',
      zipOf([
        ...names.map((name) => ({ name: name.replace(/^.*__/, ''), content: fixtureText(UBUNTU_DIR, name) })),
        { name: 'GHSA-jf85-cpcp-j695.json', content: GHSA_LODASH },
        { name: 'README.md', content: '# not a record' },
        {
          name: 'BAD-1.json',
          content: '{"id": "BAD-1", "modified": "2024-01-01T00:00:00Z", "affected": [{"package": {}}]}',
        },
      ]),
    );
    const progress: [number, number | undefined][] = [];
    const records = await collect(osvReader, zip, {
      onProgress: (read, total) => progress.push([read, total]),
    });
    expect(advisoriesOf(records)).toHaveLength(names.length + 1);
    expect(issuesOf(records)).toEqual([
      { file: `${zip}!/BAD-1.json`, record: 'BAD-1', message: 'affected[0].package: missing `ecosystem`' },
    ]);
    const usn = advisoriesOf(records).find((a) => a.id === 'USN-5614-1')!;
    expect(usn.affected.map((a) => a.ecosystem)).toContain('Ubuntu:18.04:LTS');
    expect(usn.affected[0]!.binaries).toEqual([
      'libwayland-bin',
      'libwayland-client0',
      'libwayland-cursor0',
      'libwayland-egl1',
      'libwayland-server0',
    ]);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)![1]).toBe(readFileSync(zip).length);
  });

  it('skips records not modified after `since` and rejects a `since` that is no date', async () => {
    const dir = join(tmp.dir, 'since');
    mkdirSync(dir);
    tmp.file('since/a.json', GHSA_LODASH); // modified 2023-..., see below
    tmp.file('since/b.json', GHSA_MINIMIST); // modified 2023-02-27T14:47:14Z
    const lodashModified = (JSON.parse(GHSA_LODASH) as { modified: string }).modified;
    const after = await collect(osvReader, dir, { since: '2023-02-27T14:47:14Z' });
    expect(advisoriesOf(after).map((a) => a.id)).toEqual(
      lodashModified > '2023-02-27T14:47:14Z' ? ['GHSA-jf85-cpcp-j695'] : [],
    );
    expect(
      advisoriesOf(await collect(osvReader, dir, { since: '2023-02-27T14:47:13Z' })).map((a) => a.id),
    ).toContain('GHSA-xvch-5gv4-984h');
    await expect(collect(osvReader, dir, { since: 'last week' })).rejects.toMatchObject({
      code: 'PW_ERR_USAGE',
    });
  });

  it('throws PW_ERR_FILE_NOT_FOUND naming a missing file', async () => {
    await expect(collect(osvReader, join(tmp.dir, 'nope.jsonl'))).rejects.toMatchObject({
      code: 'PW_ERR_FILE_NOT_FOUND',
      details: { file: join(tmp.dir, 'nope.jsonl') },
    });
  });
});

describe('osvReader on hostile input', () => {
  const jsonl = Buffer.from([compact(GHSA_LODASH), compact(GHSA_MINIMIST)].join('\n'));
  const cases: [string, Buffer][] = [
    ['garbled.jsonl', jsonl],
    ['garbled.json', Buffer.from(GHSA_MINIMIST)],
    ['garbled-array.json', Buffer.from(`[${compact(GHSA_LODASH)}, ${compact(GHSA_MINIMIST)}]`)],
    ['garbled.jsonl.gz', gzipSync(jsonl)],
    [
      'garbled.zip',
      zipOf([
        { name: 'a.json', content: GHSA_LODASH },
        { name: 'b.json', content: GHSA_MINIMIST },
      ]),
    ],
  ];
  it.each(cases)(
    'never hangs or throws anything but a PatchwardenError on damaged %s',
    async (name, valid) => {
      await fc.assert(
        fc.asyncProperty(damaged(valid), async (bytes) => {
          const path = tmp.file(name, bytes);
          const outcome = await readHostile(osvReader, path);
          if (outcome instanceof PatchwardenError) return;
          // What is yielded is either a valid advisory or an issue that names the file.
          for (const record of outcome) {
            if (record.kind === 'issue') expect(record.issue.file.startsWith(path)).toBe(true);
            else expect(record.kind).toBe('advisory');
          }
        }),
        { numRuns: 60 },
      );
    },
  );
});

describe('osvReader on the real feeds in ../shared/data', () => {
  const alma = sharedDataPath('osv-distro/almalinux9-osv.jsonl');
  it.skipIf(!alma)('reads all 1,783 AlmaLinux 9 records (6.9 MB) well under 2 s', async () => {
    // CPU time, not wall time: the 2-core CI box runs other suites at the same time.
    const started = performance.now();
    const cpu = process.cpuUsage();
    const records = await collect(osvReader, alma!);
    const used = process.cpuUsage(cpu);
    const cpuMs = (used.user + used.system) / 1000;
    const wallMs = performance.now() - started;
    console.info(
      `[osv] almalinux9-osv.jsonl: ${records.length} records, ${wallMs.toFixed(0)} ms wall, ${cpuMs.toFixed(0)} ms CPU`,
    );
    expect(issuesOf(records)).toEqual([]);
    const advisories = advisoriesOf(records);
    expect(advisories).toHaveLength(1783);
    expect(new Set(advisories.map((a) => a.id)).size).toBe(1783);
    // The AlmaLinux 9 tree also holds 37 advisories that list AlmaLinux:8 or :10 packages.
    const ecosystems = new Map<string, number>();
    for (const p of advisories.flatMap((a) => a.affected))
      ecosystems.set(p.ecosystem, (ecosystems.get(p.ecosystem) ?? 0) + 1);
    expect(Object.fromEntries(ecosystems)).toEqual({
      'AlmaLinux:9': 23051,
      'AlmaLinux:8': 745,
      'AlmaLinux:10': 216,
    });
    const first = advisories.find((a) => a.id === 'ALBA-2022:8256')!;
    expect(first.affected.map((p) => [p.name, p.ranges[0]!.events])).toContainEqual([
      'qatzip-libs',
      [{ introduced: '0' }, { fixed: '1.0.9-1.el9' }],
    ]);
    expect(cpuMs).toBeLessThan(2000);
  });

  const go = sharedDataPath('osv-go/golang-vulndb-osv.jsonl');
  it.skipIf(!go)('reads the Go vulndb: 4,291 records, SEMVER ranges, 17 withdrawn', async () => {
    const advisories = advisoriesOf(await collect(osvReader, go!));
    expect(advisories).toHaveLength(4291);
    expect(advisories.filter((a) => a.withdrawn)).toHaveLength(17);
    expect(advisories.flatMap((a) => a.affected.flatMap((p) => p.ranges.map((r) => r.type)))).not.toContain(
      'ECOSYSTEM',
    );
    const gin = advisories.find((a) => a.id === 'GO-2020-0001')!;
    expect(gin.aliases).toEqual(['CVE-2020-36567', 'GHSA-6vm3-jj99-7229']);
    expect(gin.affected[0]!.ecosystem_specific).toHaveProperty('imports');
  });

  const pypi = sharedDataPath('osv-pypi/pypa-advisory-database-osv.jsonl');
  it.skipIf(!pypi)('reads the PyPA database: 2,661 records with GIT ranges and version lists', async () => {
    const advisories = advisoriesOf(await collect(osvReader, pypi!));
    expect(advisories).toHaveLength(2661);
    const accessControl = advisories.find((a) => a.id === 'PYSEC-2021-335')!;
    expect(accessControl.affected[0]!.ranges.map((r) => r.type)).toEqual(['GIT', 'ECOSYSTEM']);
    expect(accessControl.affected[0]!.versions).toEqual(['4.0', '4.1', '4.2', '5.0', '5.1']);
    expect(advisories.filter((a) => a.severity.length > 0)).toHaveLength(202);
  });

  const ubuntu = sharedDataPath('osv-distro/ubuntu-samples');
  it.skipIf(!ubuntu)('reads all 12 Ubuntu OSV samples, Pro ecosystems and binaries included', async () => {
    const records = await collect(osvReader, ubuntu!);
    expect(issuesOf(records)).toEqual([]);
    const advisories = advisoriesOf(records);
    expect(advisories).toHaveLength(12);
    const ecosystems = new Set(advisories.flatMap((a) => a.affected.map((p) => p.ecosystem)));
    expect(ecosystems).toContain('Ubuntu:Pro:14.04:LTS');
    expect(ecosystems).toContain('Ubuntu:24.04:LTS');
    const kernel = advisories.find((a) => a.id === 'USN-7095-1')!;
    expect(kernel.affected.every((p) => (p.binaries?.length ?? 0) > 0)).toBe(true);
  });

  const ghsa = sharedDataPath('osv-npm/ghsa-samples');
  it.skipIf(!ghsa)('reads the two GHSA npm samples', async () => {
    expect(advisoriesOf(await collect(osvReader, ghsa!)).map((a) => a.id)).toEqual([
      'GHSA-jf85-cpcp-j695',
      'GHSA-xvch-5gv4-984h',
    ]);
  });

  it.skipIf(!alma)('reads AlmaLinux records from a zip built from the real feed', async () => {
    const lines = readFileSync(alma!, 'utf8').trim().split('\n').slice(0, 300);
    const zip = tmp.file(
      'almalinux.zip',
      zipOf(
        lines.map((line) => ({
          name: `${(JSON.parse(line) as { id: string }).id.replace(':', '-')}.json`,
          content: line,
        })),
      ),
    );
    const advisories = advisoriesOf(await collect(osvReader, zip));
    expect(advisories.map((a) => a.id)).toEqual(lines.map((line) => (JSON.parse(line) as { id: string }).id));
  });
});
