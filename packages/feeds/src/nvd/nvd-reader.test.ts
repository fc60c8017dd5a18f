import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PatchwardenError } from '@patchwarden/core';
import { fixturePath, sharedDataPath } from '../../../../test-support/shared-data.ts';
import { assertSurvivesHostileCopies, ofKind, readAll } from '../intel-common/fuzz-support.ts';
import { nvdReader } from './nvd-reader.ts';

const nvd = (relative: string) => fixturePath(join('nvd', relative));

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'pw-nvd-test-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function cvesOf(path: string, options?: Parameters<typeof readAll>[2]) {
  const records = await readAll(nvdReader, path, options);
  return {
    cves: ofKind(records, 'cve').map((r) => r.cve),
    issues: ofKind(records, 'issue').map((r) => r.issue),
  };
}

describe('nvdReader on committed NVD fixtures', () => {
  it('reads a one-record API page into a CveRecord', async () => {
    const { cves, issues } = await cvesOf(nvd('vunnel__api2-page-single-entry.json'));
    expect(issues).toEqual([]);
    expect(cves).toHaveLength(1);
    const [cve] = cves;
    expect(cve).toMatchObject({
      id: 'CVE-2022-1576',
      source: 'nvd',
      state: 'PUBLISHED',
      published: '2022-07-11T13:15:08.503Z',
      modified: '2024-11-21T06:41:00.133Z',
      cwes: ['CWE-352'],
    });
    expect(cve?.description).toMatch(/^The WP Maintenance Mode & Coming Soon WordPress plugin/);
    expect(cve?.severity).toEqual([
      {
        type: 'CVSS_V3',
        score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:H/A:N',
        source: 'nvd@nist.gov',
        baseScore: 6.5,
      },
      { type: 'CVSS_V2', score: 'AV:N/AC:M/Au:N/C:N/I:P/A:N', source: 'nvd@nist.gov', baseScore: 4.3 },
    ]);
    // The CNA and the CVE Program list the same URL: one reference, typed by its most specific tag.
    expect(cve?.references[0]).toEqual({
      type: 'ADVISORY',
      url: 'https://wpscan.com/vulnerability/68deab46-1c16-46ae-a912-a104958ca4cf',
    });
    expect(new Set(cve?.references.map((r) => r.url)).size).toBe(cve?.references.length);
  });

  it('reads a bare cve object file and trims whitespace in CPE version bounds (CVE-2021-46973)', async () => {
    const { cves } = await cvesOf(nvd('vulsdataupdate-api-cve/CVE-2021-46973.json'));
    expect(cves.map((c) => c.id)).toEqual(['CVE-2021-46973']);
    const matches = cves[0]?.configurations.flatMap((c) => c.nodes.flatMap((n) => n.cpeMatch)) ?? [];
    expect(matches).toHaveLength(3);
    expect(matches[0]).toEqual({
      vulnerable: true,
      criteria: 'cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*',
      versionStartIncluding: '5.8',
      versionEndIncluding: '5.10.35',
    });
    for (const match of matches) {
      for (const bound of [match.versionStartIncluding, match.versionEndIncluding])
        expect(bound).toBe(bound?.trim());
    }
  });

  it('puts CVSS v4 first, then v3.1, then v2 (CVE-2023-7259)', async () => {
    const { cves } = await cvesOf(nvd('vulsdataupdate-api-cve/CVE-2023-7259.json'));
    expect(cves[0]?.severity.map((s) => [s.type, s.baseScore, s.source])).toEqual([
      ['CVSS_V4', 5.1, 'cna@vuldb.com'],
      ['CVSS_V3', 2.4, 'cna@vuldb.com'],
      ['CVSS_V2', 3.3, 'cna@vuldb.com'],
    ]);
    expect(cves[0]?.cwes).toEqual(['CWE-79']);
  });

  it('takes the KEV date from cisaExploitAdd and keeps the CPE configurations (CVE-2023-4863)', async () => {
    const { cves } = await cvesOf(nvd('osvdev-nvdcve-2.0/CVE-2023-4863.json'));
    expect(cves[0]).toMatchObject({ id: 'CVE-2023-4863', kevDateAdded: '2023-09-13', cwes: ['CWE-787'] });
    expect(cves[0]?.configurations).toHaveLength(6);
    expect(cves[0]?.references.length).toBeGreaterThan(30);
  });

  it('walks the three pages of one paginated query: 8 distinct CVEs, as totalResults says', async () => {
    const pages = ['3_pages_0-3.json', '3_pages_3-3.json', '3_pages_6-3.json'];
    const ids: string[] = [];
    for (const page of pages)
      ids.push(...(await cvesOf(nvd(`vulsdataupdate-api-pages/${page}`))).cves.map((c) => c.id));
    const totalResults = (
      JSON.parse(await readFile(nvd('vulsdataupdate-api-pages/3_pages_0-3.json'), 'utf8')) as {
        totalResults: number;
      }
    ).totalResults;
    expect(totalResults).toBe(8);
    expect(new Set(ids).size).toBe(8);
    expect(ids).toHaveLength(8);
  });

  it('reads a directory of pages (including an empty page) in name order', async () => {
    const { cves, issues } = await cvesOf(nvd('vulsdataupdate-api-pages'));
    expect(issues).toEqual([]);
    expect(cves.map((c) => c.id)).toEqual([
      'CVE-2023-36014',
      'CVE-2023-36024',
      'CVE-2023-46729',
      'CVE-2023-6069',
      'CVE-2023-45167',
      'CVE-2023-39796',
      'CVE-2023-47246',
      'CVE-2023-47800',
    ]);
  });

  it('skips records whose lastModified is not after `since`', async () => {
    const { cves } = await cvesOf(nvd('vulsdataupdate-api-pages'), { since: '2023-11-10T04:15:07.070Z' });
    expect(cves.map((c) => c.id)).toEqual(['CVE-2023-39796', 'CVE-2023-47246', 'CVE-2023-47800']);
    await expect(
      readAll(nvdReader, nvd('vulsdataupdate-api-pages'), { since: 'yesterday' }),
    ).rejects.toMatchObject({
      code: 'PW_ERR_USAGE',
    });
  });

  it('marks a record NVD has rejected as REJECTED', async () => {
    // Derived from the real single-entry page: only vulnStatus is changed.
    const page = JSON.parse(await readFile(nvd('vunnel__api2-page-single-entry.json'), 'utf8'));
    page.vulnerabilities[0].cve.vulnStatus = 'Rejected';
    const path = join(scratch, 'rejected.json');
    await writeFile(path, JSON.stringify(page));
    expect((await cvesOf(path)).cves[0]?.state).toBe('REJECTED');
  });

  it('turns a bad record into an issue and reads on', async () => {
    const page = JSON.parse(await readFile(nvd('vulsdataupdate-api-pages/3_pages_0-3.json'), 'utf8'));
    delete page.vulnerabilities[1].cve.lastModified;
    page.vulnerabilities.splice(2, 0, { cve: { id: 'not-a-cve' } }, 42);
    const path = join(scratch, 'bad-records.json');
    await writeFile(path, JSON.stringify(page));
    const { cves, issues } = await cvesOf(path);
    expect(cves.map((c) => c.id)).toEqual(['CVE-2023-36014', 'CVE-2023-46729']);
    expect(issues).toHaveLength(3);
    expect(issues[0]).toMatchObject({ file: path, record: 'CVE-2023-36024' });
    expect(issues[0]?.message).toMatch(/vulnerabilities\[1\].*lastModified/);
    expect(issues[2]?.message).toMatch(/vulnerabilities\[3\]/);
  });

  it('reports a truncated page as an issue after the records before the cut', async () => {
    const text = await readFile(nvd('vulsdataupdate-api-pages/3_pages_3-3.json'), 'utf8');
    const path = join(scratch, 'truncated.json');
    await writeFile(path, text.slice(0, Math.floor(text.length * 0.7)));
    const { cves, issues } = await cvesOf(path);
    expect(cves.length).toBeGreaterThanOrEqual(1);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.file).toBe(path);
  });

  it('streams a large page: the first record arrives before the file is read', async () => {
    const page = JSON.parse(await readFile(nvd('vunnel__api2-page-single-entry.json'), 'utf8'));
    const template = JSON.stringify(page.vulnerabilities[0]);
    const count = 2000;
    const items = Array.from({ length: count }, (_, i) =>
      template.replace('CVE-2022-1576', `CVE-2022-${100000 + i}`),
    );
    const path = join(scratch, 'big-page.json');
    await writeFile(
      path,
      `{"resultsPerPage":${count},"format":"NVD_CVE","version":"2.0","vulnerabilities":[${items.join(',')}]}`,
    );
    let bytesAtFirstRecord: number | undefined;
    let bytesRead = 0;
    let total = 0;
    let cves = 0;
    for await (const record of nvdReader.read(path, {
      onProgress: (read, size) => ((bytesRead = read), (total = size ?? 0)),
    })) {
      if (record.kind === 'cve') {
        cves += 1;
        bytesAtFirstRecord ??= bytesRead;
      }
    }
    expect(cves).toBe(count);
    expect(total).toBeGreaterThan(4_000_000);
    expect(bytesRead).toBe(total);
    expect(bytesAtFirstRecord).toBeLessThan(total / 10);
  });

  it('reports files that are not NVD in a directory, and refuses a missing path', async () => {
    const dir = join(scratch, 'mixed-nvd');
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir);
    await writeFile(join(dir, 'a.json'), await readFile(nvd('vunnel__api2-page-single-entry.json')));
    await writeFile(join(dir, 'b.json'), '{"id":"GHSA-xxxx-yyyy-zzzz","modified":"2024-01-01T00:00:00Z"}');
    const { cves, issues } = await cvesOf(dir);
    expect(cves).toHaveLength(1);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.file).toBe(join(dir, 'b.json'));
    await expect(readAll(nvdReader, join(scratch, 'absent.json'))).rejects.toBeInstanceOf(PatchwardenError);
    await expect(readAll(nvdReader, join(scratch, 'absent.json'))).rejects.toMatchObject({
      code: 'PW_ERR_FILE_NOT_FOUND',
    });
  });
});

describe('nvdReader.sniff', () => {
  it('claims NVD pages and cve objects, and nothing else', async () => {
    for (const file of [
      'vunnel__api2-page-single-entry.json',
      'vulsdataupdate-api-cve/CVE-2021-46973.json',
    ]) {
      expect(nvdReader.sniff(file, (await readFile(nvd(file), 'utf8')).slice(0, 65536))).toBe(true);
    }
    expect(nvdReader.sniff('x.json', '{"cve": {"id": "CVE-2024-1"}}')).toBe(true);
    const osv =
      '{"schema_version":"1.6.0","id":"GHSA-jf85-cpcp-j695","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2019-10744"]}';
    expect(nvdReader.sniff('GHSA-jf85-cpcp-j695.json', osv)).toBe(false);
    expect(
      nvdReader.sniff('osv.json', '{"id":"CVE-2021-44228","modified":"2024-01-01T00:00:00Z","affected":[]}'),
    ).toBe(false);
    const cve5 = await readFile(fixturePath('cve5/vulsdataupdate/CVE-2024-40946.json'), 'utf8');
    expect(nvdReader.sniff('CVE-2024-40946.json', cve5)).toBe(false);
    expect(nvdReader.sniff('/feeds/nvd', '')).toBe(true);
    expect(nvdReader.sniff('/feeds/osv', '')).toBe(false);
  });
});

describe('nvdReader on hostile input', () => {
  it('survives truncated and garbled copies of real NVD files', async () => {
    const stats = await assertSurvivesHostileCopies(
      nvdReader,
      [
        nvd('vunnel__api2-page-single-entry.json'),
        nvd('vulsdataupdate-api-cve/CVE-2021-46973.json'),
        nvd('vulsdataupdate-api-pages/3_pages_0-3.json'),
      ],
      { runs: 60, gzip: true },
    );
    console.log(
      `[nvd fuzz] ${stats.runs} damaged files, ${stats.withIssues} reported issues, ${stats.thrown} PatchwardenErrors`,
    );
    expect(stats.runs).toBe(60);
    expect(stats.withIssues).toBeGreaterThan(0);
  });
});

const sharedNvd = sharedDataPath('nvd');
describe.skipIf(!sharedNvd)('nvdReader on ../shared/data/nvd', () => {
  it('reads all 51 files without an issue', async () => {
    const { cves, issues } = await cvesOf(sharedNvd as string);
    const ids = new Set(cves.map((c) => c.id));
    console.log(`[nvd shared] ${cves.length} records, ${ids.size} distinct CVEs, ${issues.length} issues`);
    expect(issues).toEqual([]);
    expect(cves).toHaveLength(125);
    expect(ids.size).toBe(100);
    expect(cves.filter((c) => c.severity.some((s) => s.type === 'CVSS_V4'))).not.toHaveLength(0);
  });

  it('keeps CWE-200 and drops NVD-CWE-noinfo, with v4, v3.1 (NVD and CNA) and v2 side by side (CVE-2024-7925)', async () => {
    const { cves } = await cvesOf(join(sharedNvd as string, 'fkie-cad/CVE-2024-7925.json'));
    expect(cves[0]?.cwes).toEqual(['CWE-200']);
    expect(cves[0]?.severity.map((s) => `${s.type}:${s.source}:${s.baseScore}`)).toEqual([
      'CVSS_V4:cna@vuldb.com:5.3',
      'CVSS_V3:nvd@nist.gov:7.5',
      'CVSS_V3:cna@vuldb.com:4.3',
      'CVSS_V2:cna@vuldb.com:4',
    ]);
  });

  it('reads log4shell with its KEV date and CISA SSVC from NVD', async () => {
    const { cves } = await cvesOf(
      join(sharedNvd as string, 'vulsdataupdate-api-pages/ssvc_affected_0-1.json'),
    );
    expect(cves[0]).toMatchObject({
      id: 'CVE-2021-44228',
      kevDateAdded: '2021-12-10',
      ssvc: { exploitation: 'active', automatable: 'yes', technicalImpact: 'total' },
    });
    expect(cves[0]?.cwes).toEqual(['CWE-20', 'CWE-400', 'CWE-502', 'CWE-917']);
  });
});
