import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { fixturePath, sharedDataPath } from '../../../test-support/shared-data.ts';
import { DISTRO_AND_OSV_READERS, detectFeed } from './detect-feed.ts';
import { tarOf, tempDir, zipOf } from './feed-input/test-support.ts';
import { UCT_SAMPLE } from './ubuntu/uct-sample.test-data.ts';

const tmp = tempDir('detect');
afterAll(() => tmp.cleanup());
const GHSA = readFileSync(fixturePath('feed-readers/osv/ghsa/GHSA-xvch-5gv4-984h.json'), 'utf8');
const TRACKER = fixturePath('feed-readers/debian/vunnel__tracker-json-sample.json');

async function feedOf(path: string): Promise<string | undefined> {
  return (await detectFeed(path, DISTRO_AND_OSV_READERS))?.feed;
}

describe('detectFeed with DISTRO_AND_OSV_READERS', () => {
  it.each([
    ['GHSA-xvch-5gv4-984h.json', GHSA, 'osv'],
    ['ghsa.jsonl', `${JSON.stringify(JSON.parse(GHSA))}\n`, 'osv'],
    ['ghsa.jsonl.gz', gzipSync(`${JSON.stringify(JSON.parse(GHSA))}\n`), 'osv'],
    ['osv-array.json', `[${GHSA}]`, 'osv'],
    ['all.zip', zipOf([{ name: 'GHSA-xvch-5gv4-984h.json', content: GHSA }]), 'osv'],
    ['debian.json', readFileSync(TRACKER), 'debian-tracker'],
    ['debian.json.gz', gzipSync(readFileSync(TRACKER)), 'debian-tracker'],
    ['list', '[21 Nov 2023] DSA-9001-1 examplepkg - security update\n\t{CVE-2023-0001}\n', 'debian-dsa'],
    ['DLA-list', '[01 Apr 2023] DLA-9380-1 examplepkg - security update\n', 'debian-dsa'],
    ['DTSA-list', '[August 26th, 2005] DTSA-1-1 kismet - various\n', 'debian-dsa'],
    [
      'main.yaml',
      '---\ndistroversion: v3.19\nreponame: main\npackages:\n  - pkg:\n      name: a\n',
      'alpine-secdb',
    ],
    [
      'main.json',
      '{"apkurl":"x","archs":["x86_64"],"reponame":"main","distroversion":"v3.19","packages":[]}',
      'alpine-secdb',
    ],
    ['CVE-2099-0001', UCT_SAMPLE, 'ubuntu-uct'],
    [
      'uct.tar.gz',
      gzipSync(tarOf([{ name: 'ubuntu-cve-tracker/active/CVE-2099-0001', content: UCT_SAMPLE }])),
      'ubuntu-uct',
    ],
  ])('%s -> %s', async (name, content, feed) => {
    expect(await feedOf(tmp.file(name, content))).toBe(feed);
  });

  it('recognises directories of OSV records and UCT checkouts', async () => {
    const osvDir = join(tmp.dir, 'osv-tree');
    const uctDir = join(tmp.dir, 'uct-checkout');
    mkdirSync(join(osvDir, 'npm'), { recursive: true });
    mkdirSync(join(uctDir, 'active'), { recursive: true });
    tmp.file('osv-tree/npm/GHSA-xvch-5gv4-984h.json', GHSA);
    tmp.file('uct-checkout/active/CVE-2099-0001', UCT_SAMPLE);
    expect(await feedOf(osvDir)).toBe('osv');
    expect(await feedOf(uctDir)).toBe('ubuntu-uct');
  });

  // Heads in the other readers' formats (NVD API 2.0, CVE JSON 5, KEV, EPSS): none of ours may claim them.
  it.each([
    [
      'nvd-page.json',
      '{"resultsPerPage":1,"startIndex":0,"totalResults":1,"format":"NVD_CVE","version":"2.0","timestamp":"2024-01-01T00:00:00.000","vulnerabilities":[{"cve":{"id":"CVE-2024-0001","published":"2024-01-01T00:00:00.000","lastModified":"2024-01-02T00:00:00.000","vulnStatus":"Analyzed"}}]}',
    ],
    [
      'CVE-2024-0001.json',
      '{"dataType":"CVE_RECORD","dataVersion":"5.1","cveMetadata":{"cveId":"CVE-2024-0001","state":"PUBLISHED","dateUpdated":"2024-01-02T00:00:00.000Z"},"containers":{"cna":{"affected":[{"vendor":"x","product":"y"}]}}}',
    ],
    [
      'known_exploited_vulnerabilities.json',
      '{"title":"CISA Catalog of Known Exploited Vulnerabilities","catalogVersion":"2025.08.25","dateReleased":"2025-08-25T17:00:00.000Z","count":1,"vulnerabilities":[{"cveID":"CVE-2024-0001"}]}',
    ],
    [
      'epss.csv',
      '#model_version:v2023.03.01,score_date:2024-01-01T00:00:00+0000\ncve,epss,percentile\nCVE-1999-0001,0.01,0.5\n',
    ],
    ['notes.txt', 'just some text\n'],
    ['empty.json', ''],
  ])('claims nothing for %s', async (name, content) => {
    expect(await feedOf(tmp.file(name, content))).toBeUndefined();
  });

  it('throws PW_ERR_FILE_NOT_FOUND for a missing path', async () => {
    await expect(feedOf(join(tmp.dir, 'missing'))).rejects.toMatchObject({ code: 'PW_ERR_FILE_NOT_FOUND' });
  });
});

describe('detectFeed on the real files in ../shared/data', () => {
  const data = sharedDataPath('');
  it.skipIf(!data)(
    'recognises every OSV and distro file and claims no NVD, CVE 5, KEV, EPSS or CWE file',
    async () => {
      const expected: [string, string][] = [
        ['osv-distro/almalinux9-osv.jsonl', 'osv'],
        ['osv-go/golang-vulndb-osv.jsonl', 'osv'],
        ['osv-pypi/pypa-advisory-database-osv.jsonl', 'osv'],
        ['osv-npm/ghsa-samples', 'osv'],
        ['osv-distro/ubuntu-samples', 'osv'],
        ['advisories-debian/vunnel__tracker-json-sample.json', 'debian-tracker'],
        ['advisories-debian/security-tracker-DSA-list.txt', 'debian-dsa'],
        ['advisories-debian/security-tracker-DLA-list.txt', 'debian-dsa'],
        ['advisories-debian/security-tracker-DTSA-list.txt', 'debian-dsa'],
        ['advisories-alpine/secdb-v3.11-main.yaml', 'alpine-secdb'],
        ['advisories-alpine/secdb-v3.3-community.yaml', 'alpine-secdb'],
        ['advisories-ubuntu-uct/ubuntu-cve-tracker-active-2020-06-18.tar.gz', 'ubuntu-uct'],
      ];
      for (const [relative, feed] of expected)
        expect([relative, await feedOf(join(data!, relative))]).toEqual([relative, feed]);
      for (const name of readdirSync(join(data!, 'osv-distro/ubuntu-samples'))) {
        expect(await feedOf(join(data!, 'osv-distro/ubuntu-samples', name))).toBe('osv');
      }
      const foreign: string[] = [];
      const walk = (dir: string): void => {
        for (const entry of readdirSync(dir, { withFileTypes: true })) {
          if (entry.isDirectory()) walk(join(dir, entry.name));
          else foreign.push(join(dir, entry.name));
        }
      };
      for (const dir of ['nvd', 'cve5', 'kev', 'epss', 'cwe']) walk(join(data!, dir));
      const claimed: string[] = [];
      for (const file of foreign) if ((await feedOf(file)) !== undefined) claimed.push(file);
      console.info(`[detect-feed] ${foreign.length} NVD/CVE5/KEV/EPSS/CWE files checked`);
      expect(foreign.length).toBeGreaterThan(50);
      expect(claimed).toEqual([]);
    },
  );
});
