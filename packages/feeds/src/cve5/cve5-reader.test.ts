import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath, sharedDataPath } from '../../../../test-support/shared-data.ts';
import { assertSurvivesHostileCopies, ofKind, readAll } from '../intel-common/fuzz-support.ts';
import { cve5Reader } from './cve5-reader.ts';

const cve5 = (relative: string) => fixturePath(join('cve5', relative));

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'pw-cve5-test-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function cvesOf(path: string, options?: Parameters<typeof readAll>[2]) {
  const records = await readAll(cve5Reader, path, options);
  return {
    cves: ofKind(records, 'cve').map((r) => r.cve),
    issues: ofKind(records, 'issue').map((r) => r.issue),
  };
}

describe('cve5Reader on committed CVE JSON 5 fixtures', () => {
  it('merges CISA ADP SSVC and KEV into the CNA record (CVE-2024-4577)', async () => {
    const { cves, issues } = await cvesOf(cve5('vulnrichment/2024/4xxx/CVE-2024-4577.json'));
    expect(issues).toEqual([]);
    expect(cves).toHaveLength(1);
    expect(cves[0]).toMatchObject({
      id: 'CVE-2024-4577',
      source: 'cve5',
      state: 'PUBLISHED',
      published: '2024-06-09T19:42:36.464Z',
      modified: '2024-08-19T07:54:59.546Z',
      cwes: ['CWE-78'],
      ssvc: { exploitation: 'active', automatable: 'yes', technicalImpact: 'total' },
      kevDateAdded: '2024-06-12',
      severity: [
        {
          type: 'CVSS_V3',
          score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
          source: 'php',
          baseScore: 9.8,
        },
      ],
    });
    // The CNA wrote a no-break space after "versions"; the text is kept as published.
    expect(cves[0]?.description).toMatch(/^In PHP versions\u00a08\.1\.\* before 8\.1\.29/);
    // CNA references first, then the CVE Program's extra ones, each URL once.
    const urls = cves[0]?.references.map((r) => r.url) ?? [];
    expect(new Set(urls).size).toBe(urls.length);
    expect(urls).toContain(
      'https://www.vicarius.io/vsociety/posts/php-cgi-argument-injection-to-rce-cve-2024-4577',
    );
  });

  it('keeps every CVSS version the CNA gives, v4 first, with the provider as source (CVE-2024-9298)', async () => {
    const { cves } = await cvesOf(cve5('vulnrichment/2024/9xxx/CVE-2024-9298.json'));
    expect(cves[0]?.severity.map((s) => [s.type, s.score.slice(0, 9), s.source, s.baseScore])).toEqual([
      ['CVSS_V4', 'CVSS:4.0/', 'VulDB', 5.3],
      ['CVSS_V3', 'CVSS:3.1/', 'VulDB', 4.3],
      ['CVSS_V3', 'CVSS:3.0/', 'VulDB', 4.3],
      ['CVSS_V2', 'AV:N/AC:L', 'VulDB', 4],
    ]);
    expect(cves[0]?.ssvc).toEqual({ exploitation: 'none', automatable: 'no', technicalImpact: 'partial' });
    expect(cves[0]?.kevDateAdded).toBeUndefined();
  });

  it('reads a REJECTED record, with its rejection reason as description', async () => {
    const { cves } = await cvesOf(cve5('vulsdataupdate/CVE-2024-40946.json'));
    expect(cves[0]).toMatchObject({
      id: 'CVE-2024-40946',
      state: 'REJECTED',
      modified: '2024-07-15T06:58:44.244Z',
      severity: [],
      cwes: [],
      description: 'This CVE ID has been rejected or withdrawn by its CVE Numbering Authority.',
    });
  });

  it('takes a CWE from a problemType description without cweId, and an ADP-only CVSS score (CVE-2024-7264)', async () => {
    const { cves } = await cvesOf(cve5('osvdev-test_data/CVE-2024-7264.json'));
    expect(cves[0]?.cwes).toEqual(['CWE-125']);
    expect(cves[0]?.severity).toEqual([
      {
        type: 'CVSS_V3',
        score: 'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:L',
        source: 'CISA-ADP',
        baseScore: 6.3,
      },
    ]);
  });

  it('walks a cvelistV5-style tree, passing over files that are not CVE records by name', async () => {
    const dir = join(scratch, 'cves');
    await mkdir(join(dir, '2024', '4xxx'), { recursive: true });
    await writeFile(
      join(dir, '2024', '4xxx', 'CVE-2024-4577.json'),
      await readFile(cve5('vulnrichment/2024/4xxx/CVE-2024-4577.json')),
    );
    await writeFile(join(dir, 'delta.json'), '{"fetchTime":"2024-01-01T00:00:00Z","new":[],"updated":[]}');
    const { cves, issues } = await cvesOf(dir);
    expect(cves.map((c) => c.id)).toEqual(['CVE-2024-4577']);
    expect(issues).toEqual([]);
    const all = await cvesOf(fixturePath('cve5'));
    expect(all.cves.map((c) => c.id).sort()).toEqual([
      'CVE-2024-40946',
      'CVE-2024-4577',
      'CVE-2024-7264',
      'CVE-2024-9298',
    ]);
  });

  it('skips records not updated after `since`', async () => {
    const { cves } = await cvesOf(fixturePath('cve5'), { since: '2024-09-01T00:00:00Z' });
    expect(cves.map((c) => c.id).sort()).toEqual(['CVE-2024-7264', 'CVE-2024-9298']);
  });

  it('reports a record without a valid id or state as an issue naming the file', async () => {
    const record = JSON.parse(await readFile(cve5('vulnrichment/2024/4xxx/CVE-2024-4577.json'), 'utf8'));
    record.cveMetadata.state = 'RESERVED';
    const path = join(scratch, 'CVE-2024-4577.json');
    await writeFile(path, JSON.stringify(record));
    const { cves, issues } = await cvesOf(path);
    expect(cves).toEqual([]);
    expect(issues).toEqual([
      { file: path, record: 'CVE-2024-4577', message: expect.stringMatching(/unknown state RESERVED/) },
    ]);
  });
});

describe('cve5Reader.sniff', () => {
  it('claims CVE_RECORD documents only', async () => {
    expect(
      cve5Reader.sniff(
        'CVE-2024-4577.json',
        await readFile(cve5('vulnrichment/2024/4xxx/CVE-2024-4577.json'), 'utf8'),
      ),
    ).toBe(true);
    const nvdPage = await readFile(fixturePath('nvd/vunnel__api2-page-single-entry.json'), 'utf8');
    expect(cve5Reader.sniff('page.json', nvdPage)).toBe(false);
    expect(
      cve5Reader.sniff(
        'GHSA.json',
        '{"id":"GHSA-jf85-cpcp-j695","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2019-10744"]}',
      ),
    ).toBe(false);
    expect(cve5Reader.sniff('/data/cvelistV5', '')).toBe(true);
    expect(cve5Reader.sniff('/data/vulnrichment', '')).toBe(true);
  });
});

describe('cve5Reader on hostile input', () => {
  it('survives truncated and garbled copies of real CVE records', async () => {
    const stats = await assertSurvivesHostileCopies(
      cve5Reader,
      [
        cve5('vulnrichment/2024/4xxx/CVE-2024-4577.json'),
        cve5('vulsdataupdate/CVE-2024-40946.json'),
        cve5('vulnrichment/2024/9xxx/CVE-2024-9298.json'),
      ],
      { runs: 60, gzip: true },
    );
    console.log(
      `[cve5 fuzz] ${stats.runs} damaged files, ${stats.withIssues} reported issues, ${stats.thrown} PatchwardenErrors`,
    );
    expect(stats.runs).toBe(60);
    expect(stats.withIssues).toBeGreaterThan(0);
  });
});

const sharedCve5 = sharedDataPath('cve5');
describe.skipIf(!sharedCve5)('cve5Reader on ../shared/data/cve5', () => {
  it('reads all 55 records without an issue, matching the MANIFEST counts', async () => {
    const { cves, issues } = await cvesOf(sharedCve5 as string);
    const withSsvc = cves.filter((c) => c.ssvc).length;
    const withKev = cves.filter((c) => c.kevDateAdded).length;
    const withV4 = cves.filter((c) => c.severity.some((s) => s.type === 'CVSS_V4')).length;
    console.log(
      `[cve5 shared] ${cves.length} records, ${withSsvc} with SSVC, ${withKev} with KEV, ${withV4} with CVSS v4, ${issues.length} issues`,
    );
    expect(issues).toEqual([]);
    expect(cves).toHaveLength(55);
    expect(cves.filter((c) => c.state === 'REJECTED').map((c) => c.id)).toEqual(['CVE-2024-40946']);
    expect(withSsvc).toBe(50);
    expect(withKev).toBe(10);
    expect(withV4).toBe(16);
  });
});
