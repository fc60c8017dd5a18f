import { mkdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
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
  tarOf,
  tempDir,
} from '../feed-input/test-support.ts';
import { ubuntuUctReader } from './ubuntu-uct-reader.ts';
import { UCT_BROKEN, UCT_SAMPLE } from './uct-sample.test-data.ts';

const tmp = tempDir('uct');
afterAll(() => tmp.cleanup());
const COMMIT_TIME = new Date('2099-06-18T13:40:00Z');

const TARBALL = gzipSync(
  tarOf([
    { name: 'ubuntu-cve-tracker/', type: '5', mtime: COMMIT_TIME },
    { name: 'ubuntu-cve-tracker/README', content: 'Candidate: not a CVE file\n', mtime: COMMIT_TIME },
    { name: 'ubuntu-cve-tracker/active/', type: '5', mtime: COMMIT_TIME },
    {
      name: 'ubuntu-cve-tracker/active/00boilerplate',
      content: 'Candidate:\nPriority: untriaged\n',
      mtime: COMMIT_TIME,
    },
    { name: 'ubuntu-cve-tracker/active/CVE-2099-0001', content: UCT_SAMPLE, mtime: COMMIT_TIME },
    { name: 'ubuntu-cve-tracker/active/CVE-2099-0002', content: UCT_BROKEN, mtime: COMMIT_TIME },
    { name: 'ubuntu-cve-tracker/active/CVE-2099-9999', type: '2', mtime: COMMIT_TIME },
  ]),
);

describe('ubuntuUctReader', () => {
  it('streams a gzipped tarball of the tracker, reading only CVE files', async () => {
    const path = tmp.file('uct.tar.gz', TARBALL);
    const progress: number[] = [];
    const records = await collect(ubuntuUctReader, path, { onProgress: (read) => progress.push(read) });
    const advisories = advisoriesOf(records);
    expect(advisories.map((a) => [a.id, a.modified])).toEqual([
      ['CVE-2099-0001', '2099-06-18T13:40:00.000Z'],
      ['CVE-2099-0002', '2099-06-18T13:40:00.000Z'],
    ]);
    expect(advisories[0]!.affected).toHaveLength(7);
    const issues = issuesOf(records);
    expect(issues).toHaveLength(6);
    expect(issues[0]).toEqual({
      file: `${path}!/ubuntu-cve-tracker/active/CVE-2099-0002`,
      line: 2,
      record: 'CVE-2099-0002',
      message: 'PublicDate "sometime" is not a date',
    });
    expect(progress.at(-1)).toBe(TARBALL.length);
  });

  it('reads a checkout directory and a single CVE file, dated by the files', async () => {
    const active = join(tmp.dir, 'checkout', 'active');
    mkdirSync(active, { recursive: true });
    const file = tmp.file('checkout/active/CVE-2099-0001', UCT_SAMPLE);
    tmp.file('checkout/active/00boilerplate', 'Candidate:\n');
    utimesSync(file, COMMIT_TIME, COMMIT_TIME);
    const fromDir = advisoriesOf(await collect(ubuntuUctReader, join(tmp.dir, 'checkout')));
    expect(fromDir.map((a) => [a.id, a.modified])).toEqual([['CVE-2099-0001', '2099-06-18T13:40:00.000Z']]);
    const single = await collect(ubuntuUctReader, file);
    expect(advisoriesOf(single)).toEqual(fromDir);
    expect(advisoriesOf(await collect(ubuntuUctReader, file, { since: '2099-06-18T13:40:00Z' }))).toEqual([]);
  });

  it('sniffs tarballs, checkouts and single files', () => {
    const tar = tarOf([{ name: 'ubuntu-cve-tracker/active/CVE-2099-0001', content: UCT_SAMPLE }]).toString(
      'utf8',
    );
    expect(ubuntuUctReader.sniff('uct.tar.gz', tar)).toBe(true);
    expect(ubuntuUctReader.sniff('active/CVE-2099-0001', UCT_SAMPLE)).toBe(true);
    expect(ubuntuUctReader.sniff(join(tmp.dir, 'checkout'), '')).toBe(true);
    expect(ubuntuUctReader.sniff(tmp.dir, '')).toBe(false);
    expect(ubuntuUctReader.sniff('list', '[29 Mar 2023] DSA-5380-1 xorg-server - security update\n')).toBe(
      false,
    );
  });

  it('throws PW_ERR_PARSE naming a tarball that is cut short', async () => {
    const cut = tmp.file(
      'cut.tar',
      tarOf([{ name: 'active/CVE-2099-0001', content: UCT_SAMPLE }]).subarray(0, 700),
    );
    await expect(collect(ubuntuUctReader, cut)).rejects.toMatchObject({
      code: 'PW_ERR_PARSE',
      details: { file: cut },
    });
  });

  it('never hangs or throws anything but a PatchwardenError on damaged input', async () => {
    const forms: [string, Buffer][] = [
      ['CVE-2099-0001', Buffer.from(UCT_SAMPLE)],
      ['damaged.tar.gz', TARBALL],
      ['damaged.tar', tarOf([{ name: 'active/CVE-2099-0001', content: UCT_SAMPLE }])],
    ];
    for (const [name, valid] of forms) {
      await fc.assert(
        fc.asyncProperty(damaged(valid), async (bytes) => {
          const path = tmp.file(name, bytes);
          const outcome = await readHostile(ubuntuUctReader, path);
          if (outcome instanceof PatchwardenError) return;
          for (const record of outcome)
            if (record.kind === 'issue') expect(record.issue.file.startsWith(path)).toBe(true);
        }),
        { numRuns: 40 },
      );
    }
  });
});

describe('ubuntuUctReader on the real tracker snapshot in ../shared/data', () => {
  const tarball = sharedDataPath('advisories-ubuntu-uct/ubuntu-cve-tracker-active-2020-06-18.tar.gz');
  it.skipIf(!tarball)('reads all 6,509 CVE files of active/ and 3,320 bionic fixes', async () => {
    const started = performance.now();
    const records = await collect(ubuntuUctReader, tarball!);
    const advisories = advisoriesOf(records);
    const issues = issuesOf(records);
    const fixedFor = (release: string) =>
      advisories.flatMap((a) =>
        a.affected.filter(
          (p) => p.ecosystem === release && p.ranges.some((r) => r.events.some((e) => 'fixed' in e)),
        ),
      );
    console.info(
      `[ubuntu-uct] ${advisories.length} CVE files, ${issues.length} issues, ` +
        `${fixedFor('Ubuntu:18.04:LTS').length} bionic fixes, ${(performance.now() - started).toFixed(0)} ms`,
    );
    // active/ holds 6,610 files: 6,509 CVE-* plus 00boilerplate* templates and a Makefile.
    expect(advisories).toHaveLength(6509);
    expect(new Set(advisories.map((a) => a.id)).size).toBe(6509);
    // Every `bionic_<pkg>: released (<version>)` line (3,320, one of them with `_` in its version).
    expect(fixedFor('Ubuntu:18.04:LTS')).toHaveLength(3320);
    // The only malformed lines in the snapshot: 44 stray "-- Tags_xen: universe-binary" lines.
    expect(issues).toHaveLength(44);
    expect(new Set(issues.map((i) => i.message))).toEqual(
      new Set(['not a "Field: value" line: "-- Tags_xen: universe-binary"']),
    );

    const byId = new Map(advisories.map((a) => [a.id, a]));
    const fix = (id: string, release: string, name: string) =>
      byId
        .get(id)
        ?.affected.find((p) => p.ecosystem === release && p.name === name)
        ?.ranges.flatMap((r) => r.events.flatMap((e) => ('fixed' in e ? [e.fixed] : [])));
    expect(fix('CVE-2018-0734', 'Ubuntu:18.04:LTS', 'openssl')).toEqual(['1.1.0g-2ubuntu4.3']);
    expect(fix('CVE-2019-3823', 'Ubuntu:18.04:LTS', 'curl')).toEqual(['7.58.0-2ubuntu3.6']);
    expect(fix('CVE-2018-1999023', 'Ubuntu:18.04:LTS', 'wesnoth-1.12')).toEqual([
      '1:1.12_1.12.6-1+deb9u1build0.18.04.1',
    ]);
    // needed: affected with no fix; the status is kept.
    const openssl = byId.get('CVE-2019-1547')!;
    expect(
      openssl.affected.find((p) => p.ecosystem === 'Ubuntu:18.04:LTS' && p.name === 'openssl'),
    ).toMatchObject({
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }],
      database_specific: { ubuntu_status: 'needed' },
    });
    expect(
      openssl.affected.find((p) => p.ecosystem === 'Ubuntu:Pro:14.04:LTS' && p.name === 'openssl'),
    ).toBeDefined();
    expect(openssl.severity).toEqual([
      { type: 'Ubuntu', score: 'low' },
      { type: 'CVSS_V3', score: 'CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:N/A:N' },
    ]);
    expect(openssl.published).toBe('2019-09-10T17:15:00Z');
    expect(openssl.affected.some((p) => p.name === 'nodejs')).toBe(false); // not-affected
    expect(openssl.database_specific?.['ubuntu_ignored']).toContainEqual({
      ecosystem: 'Ubuntu:19.04',
      name: 'openssl',
      note: 'reached end-of-life',
    });
  });
});
