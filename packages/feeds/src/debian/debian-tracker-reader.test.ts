import { readFileSync, utimesSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { PatchwardenError } from '@patchwarden/core';
import { fixturePath } from '../../../../test-support/shared-data.ts';
import {
  advisoriesOf,
  collect,
  damaged,
  issuesOf,
  readHostile,
  tempDir,
} from '../feed-input/test-support.ts';
import { debianTrackerReader } from './debian-tracker-reader.ts';

const SAMPLE = fixturePath('feed-readers/debian/vunnel__tracker-json-sample.json');
const tmp = tempDir('debian-tracker');
afterAll(() => tmp.cleanup());

/** A tracker export written for these tests: one CVE under two packages far apart, bad entries. */
const SHARED_CVE = {
  'aaa-first': {
    'CVE-2024-0001': {
      description: 'A flaw shared by two source packages.',
      scope: 'remote',
      debianbug: 1000001,
      releases: {
        bookworm: { status: 'resolved', fixed_version: '1.0-1+deb12u1', urgency: 'medium', repositories: {} },
        sid: { status: 'resolved', fixed_version: '1.0-2', urgency: 'medium' },
      },
    },
    'CVE-2024-0002': { releases: { bullseye: { status: 'undetermined', urgency: 'not yet assigned' } } },
  },
  'mmm-broken': {
    'CVE-2024-0003': {
      releases: {
        bookworm: { status: 'fixed-ish', fixed_version: '2' },
        trixie: { status: 'resolved' },
        duke: { status: 'open' },
        zorro: { status: 'open' },
        bullseye: 'open',
      },
    },
    'CVE-2024-0004': 'not an object',
  },
  'zzz-last': {
    'CVE-2024-0001': {
      description: 'A flaw shared by two source packages.',
      releases: {
        bookworm: { status: 'open', urgency: 'low**' },
        bullseye: { status: 'resolved', fixed_version: '0', urgency: 'unimportant' },
      },
    },
  },
};

describe('debianTrackerReader', () => {
  it('reads the real excerpt: one advisory per CVE, an affected entry per package and release', async () => {
    const records = await collect(debianTrackerReader, SAMPLE);
    expect(issuesOf(records)).toEqual([]);
    const advisories = advisoriesOf(records);
    expect(advisories.map((a) => a.id)).toEqual([
      'CVE-2008-7220',
      'CVE-2007-2383',
      'CVE-2013-1444',
      'CVE-2005-3111',
      'CVE-2022-0456',
      'CVE-2025-53603',
      'CVE-2022-0358',
    ]);
    const chromium = advisories.find((a) => a.id === 'CVE-2022-0456')!;
    expect(chromium).toMatchObject({ source: 'debian-tracker', aliases: [] });
    expect(chromium.affected.map((p) => [p.ecosystem, p.name, p.ranges[0]!.events])).toEqual([
      ['Debian:12', 'chromium', [{ introduced: '0' }, { fixed: '98.0.4758.80-1' }]],
      ['Debian:11', 'chromium', [{ introduced: '0' }, { fixed: '98.0.4758.80-1~deb11u1' }]],
      ['Debian:10', 'chromium', [{ introduced: '0' }]],
      ['Debian:9', 'chromium', [{ introduced: '0' }]],
    ]);
    expect(chromium.affected[2]!.database_specific).toMatchObject({ status: 'open', urgency: 'end-of-life' });
    // fixed_version "0": never affected, so no entry at all.
    expect(advisories.find((a) => a.id === 'CVE-2007-2383')!.affected).toEqual([]);
    const prototype = advisories.find((a) => a.id === 'CVE-2008-7220')!;
    expect(prototype.details).toMatch(/^Unspecified vulnerability in Prototype/);
    expect(prototype.database_specific).toEqual({ scope: 'remote', debianbug: 555217 });
    expect(prototype.affected[0]!.severity).toEqual([{ type: 'Debian', score: 'high' }]);
    expect(prototype.affected.map((p) => p.ecosystem)).toEqual(['Debian:9', 'Debian:8', 'Debian:10']);
    // "releases": [] is how the export writes "no releases".
    expect(advisories.find((a) => a.id === 'CVE-2022-0358')!.affected).toEqual([]);
  });

  it('merges a CVE listed under packages far apart and reports bad entries with their ids', async () => {
    const path = tmp.file('tracker.json', JSON.stringify(SHARED_CVE, null, 1));
    const records = await collect(debianTrackerReader, path);
    const advisories = advisoriesOf(records);
    expect(advisories.map((a) => a.id)).toEqual(['CVE-2024-0002', 'CVE-2024-0003', 'CVE-2024-0001']);
    const shared = advisories.find((a) => a.id === 'CVE-2024-0001')!;
    expect(shared.affected.map((p) => [p.ecosystem, p.name, p.ranges[0]!.events])).toEqual([
      ['Debian:12', 'aaa-first', [{ introduced: '0' }, { fixed: '1.0-1+deb12u1' }]],
      ['Debian:12', 'zzz-last', [{ introduced: '0' }]],
    ]);
    expect(shared.references).toContainEqual({ type: 'REPORT', url: 'https://bugs.debian.org/1000001' });
    expect(advisories.find((a) => a.id === 'CVE-2024-0003')!.affected.map((p) => p.ecosystem)).toEqual([
      'Debian:15',
    ]);
    expect(issuesOf(records)).toEqual([
      {
        file: path,
        record: 'CVE-2024-0003',
        message: 'mmm-broken/CVE-2024-0003/bookworm: unknown status "fixed-ish"',
      },
      {
        file: path,
        record: 'CVE-2024-0003',
        message: 'mmm-broken/CVE-2024-0003/trixie: status "resolved" without a fixed_version',
      },
      {
        file: path,
        record: 'CVE-2024-0003',
        message:
          'unknown Debian release "zorro" (first seen at mmm-broken/CVE-2024-0003/zorro); its entries are skipped',
      },
      {
        file: path,
        record: 'CVE-2024-0003',
        message: 'mmm-broken/CVE-2024-0003/bullseye: release entry is not an object',
      },
      { file: path, record: 'CVE-2024-0004', message: 'mmm-broken/CVE-2024-0004: entry is not an object' },
    ]);
  });

  it('stamps records with the file time and honours `since` and progress over both passes', async () => {
    const path = tmp.file('dated.json.gz', gzipSync(readFileSync(SAMPLE)));
    const when = new Date('2025-05-05T05:05:05Z');
    utimesSync(path, when, when);
    const progress: number[] = [];
    const records = await collect(debianTrackerReader, path, {
      onProgress: (read, total) => progress.push(read / total!),
    });
    expect(advisoriesOf(records)).toHaveLength(7);
    expect(advisoriesOf(records)[0]!.modified).toBe('2025-05-05T05:05:05.000Z');
    expect(progress.at(-1)).toBe(1);
    expect(progress.some((p) => p <= 0.5)).toBe(true);
    expect(await collect(debianTrackerReader, path, { since: '2025-05-05T05:05:05Z' })).toEqual([]);
    expect(
      advisoriesOf(await collect(debianTrackerReader, path, { since: '2025-05-05T05:05:04Z' })),
    ).toHaveLength(7);
  });

  it('throws PW_ERR_PARSE naming the file when the document is not a tracker object', async () => {
    const path = tmp.file('array.json', '[1, 2, 3]');
    await expect(collect(debianTrackerReader, path)).rejects.toMatchObject({
      code: 'PW_ERR_PARSE',
      details: { file: path },
    });
  });

  it('sniffs the export and nothing else', () => {
    const head = readFileSync(SAMPLE, 'utf8');
    expect(debianTrackerReader.sniff(SAMPLE, head)).toBe(true);
    expect(
      debianTrackerReader.sniff('x.json', '{"id": "CVE-2024-1", "modified": "2024-01-01T00:00:00Z"}'),
    ).toBe(false);
  });

  it('never hangs or throws anything but a PatchwardenError on damaged input', async () => {
    const valid = readFileSync(SAMPLE);
    await fc.assert(
      fc.asyncProperty(damaged(valid), async (bytes) => {
        const path = tmp.file('damaged.json', bytes);
        const outcome = await readHostile(debianTrackerReader, path);
        if (outcome instanceof PatchwardenError) return;
        for (const record of outcome) if (record.kind === 'issue') expect(record.issue.file).toBe(path);
      }),
      { numRuns: 60 },
    );
  });
});
