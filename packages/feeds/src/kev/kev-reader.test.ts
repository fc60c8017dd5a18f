import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KevEntry } from '@patchwarden/core';
import { fixturePath, sharedDataPath } from '../../../../test-support/shared-data.ts';
import { readHead } from '../intel-common/open-input.ts';
import { assertSurvivesHostileCopies, ofKind, readAll } from '../intel-common/fuzz-support.ts';
import { kevReader } from './kev-reader.ts';

const JSON_GZ = fixturePath('kev/known_exploited_vulnerabilities.json.gz');
const CSV_GZ = fixturePath('kev/known_exploited_vulnerabilities.csv.gz');

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'pw-kev-test-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function entriesOf(path: string) {
  const records = await readAll(kevReader, path);
  return {
    entries: ofKind(records, 'kev').map((r) => r.entry),
    issues: ofKind(records, 'issue').map((r) => r.issue),
  };
}

function expectSameCatalogue(fromJson: KevEntry[], fromCsv: KevEntry[]): void {
  expect(fromCsv).toHaveLength(fromJson.length);
  fromJson.forEach((entry, i) => expect(fromCsv[i], `entry ${i} (${entry.cveId})`).toEqual(entry));
}

describe('kevReader on the committed catalogue (2025.08.25)', () => {
  it('holds the unchanged upstream files (README digests)', async () => {
    const digest = async (path: string) =>
      createHash('sha256')
        .update(gunzipSync(await readFile(path)))
        .digest('hex');
    expect(await digest(JSON_GZ)).toBe('901b1f227941a3879a3e39fcb857bb6f7252bf9d71b63ef08d50a836d5ab1bd2');
    expect(await digest(CSV_GZ)).toBe('ef3f88c69bfca7f86c448c64577b2ed81b498dd5d109c13a0c1797450fb1dfbb');
  });

  it('reads 1,404 entries from the JSON and the CSV, which agree entry by entry', async () => {
    const json = await entriesOf(JSON_GZ);
    const csv = await entriesOf(CSV_GZ);
    expect(json.issues).toEqual([]);
    expect(csv.issues).toEqual([]);
    expect(json.entries).toHaveLength(1404);
    expectSameCatalogue(json.entries, csv.entries);
    console.log(
      `[kev] ${json.entries.length} entries; ${json.entries.filter((e) => e.cwes.length > 0).length} with CWEs; ` +
        `${json.entries.filter((e) => e.knownRansomwareCampaignUse === 'Known').length} with known ransomware use`,
    );
  });

  it('maps the first entry field by field, CWEs split from the CSV cell', async () => {
    const { entries } = await entriesOf(CSV_GZ);
    expect(entries[0]).toEqual({
      cveId: 'CVE-2025-48384',
      vendorProject: 'Git',
      product: 'Git',
      vulnerabilityName: 'Git Link Following Vulnerability',
      dateAdded: '2025-08-25',
      dueDate: '2025-09-15',
      knownRansomwareCampaignUse: 'Unknown',
      requiredAction:
        'Apply mitigations per vendor instructions, follow applicable BOD 22-01 guidance for cloud services, or discontinue use of the product if mitigations are unavailable.',
      shortDescription:
        'Git contains a link following vulnerability that stems from Git’s inconsistent handling of carriage return characters in configuration files.',
      cwes: ['CWE-59', 'CWE-436'],
    });
  });
});

describe('kevReader validation', () => {
  it('reports CSV rows with a bad cveID or date as issues with their line numbers, and reads on', async () => {
    const lines = gunzipSync(await readFile(CSV_GZ))
      .toString('utf8')
      .split('\n')
      .slice(0, 6);
    // Line numbers are 1-based and count the header: the rows below are lines 3 and 5.
    lines[2] = lines[2]?.replace(/^CVE-\d+-\d+/, 'CVE-24-1') ?? '';
    lines[4] = lines[4]?.replace(/,(\d{4})-(\d{2})-(\d{2}),/, ',$1-13-$3,') ?? '';
    const path = join(scratch, 'bad.csv');
    await writeFile(path, `${lines.join('\n')}\n`);
    const { entries, issues } = await entriesOf(path);
    expect(entries).toHaveLength(3);
    expect(issues.map((i) => [i.line, i.record])).toEqual([
      [3, 'CVE-24-1'],
      [5, lines[4]?.split(',')[0]],
    ]);
    expect(issues[0]?.message).toMatch(/cveID/);
    expect(issues[1]?.message).toMatch(/dateAdded is not a YYYY-MM-DD date/);
  });

  it('keeps a stray quote inside a field as text and reads on', async () => {
    const lines = gunzipSync(await readFile(CSV_GZ))
      .toString('utf8')
      .split('\n')
      .slice(0, 5);
    lines[2] = 'CVE-2024-0001,Vendor,"Prod"uct,Name,2024-01-01,desc,action,2024-01-22,Unknown,notes,';
    const path = join(scratch, 'stray-quote.csv');
    await writeFile(path, `${lines.join('\n')}\n`);
    const { entries, issues } = await entriesOf(path);
    expect(issues).toEqual([]);
    expect(entries).toHaveLength(4);
    expect(entries[1]).toMatchObject({ cveId: 'CVE-2024-0001', product: '"Prod"uct' });
  });

  it('reports a row whose unclosed quote runs into the next row, from the line where it opens', async () => {
    const lines = gunzipSync(await readFile(CSV_GZ))
      .toString('utf8')
      .split('\n')
      .slice(0, 5);
    lines[2] = 'CVE-2024-0001,Vendor,"Product,Name,2024-01-01,desc,action,2024-01-22,Unknown,notes,';
    const path = join(scratch, 'unclosed-quote.csv');
    await writeFile(path, `${lines.join('\n')}\n`);
    const { entries, issues } = await entriesOf(path);
    // The quoted product swallows line 4 up to its first quote; without the check, CVE-2024-0001
    // would be read with the dates and CWEs of line 4's CVE.
    expect(entries.map((e) => e.cveId)).toEqual([lines[1]?.split(',')[0], lines[4]?.split(',')[0]]);
    expect(issues).toEqual([
      {
        file: path,
        line: 3,
        record: 'CVE-2024-0001',
        message: 'CVE-2024-0001: product spans lines (unclosed quote?)',
      },
    ]);
  });

  it('reports an unclosed quote that runs to the end of the file', async () => {
    const lines = gunzipSync(await readFile(CSV_GZ))
      .toString('utf8')
      .split('\n')
      .slice(0, 3);
    lines[2] = 'CVE-2024-0001,Vendor,"Product,Name,2024-01-01,desc,action,2024-01-22,Unknown,notes,';
    const path = join(scratch, 'unclosed-at-end.csv');
    await writeFile(path, `${lines.join('\n')}\n`);
    const { entries, issues } = await entriesOf(path);
    expect(entries).toHaveLength(1);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.line).toBe(3);
    expect(issues[0]?.message).toMatch(/^malformed CSV row \(through line \d+\): .*[Qq]uote/);
  });

  it('reports JSON entries that break the schema, naming the record', async () => {
    const catalogue = JSON.parse(gunzipSync(await readFile(JSON_GZ)).toString('utf8'));
    catalogue.vulnerabilities = catalogue.vulnerabilities.slice(0, 4);
    catalogue.vulnerabilities[1].dueDate = '2025-02-30';
    catalogue.vulnerabilities[2].cwes = ['79'];
    catalogue.vulnerabilities[3] = 'CVE-2024-1';
    const path = join(scratch, 'bad.json');
    await writeFile(path, JSON.stringify(catalogue));
    const { entries, issues } = await entriesOf(path);
    expect(entries).toHaveLength(1);
    expect(issues.map((i) => i.record)).toEqual([
      catalogue.vulnerabilities[1].cveID,
      catalogue.vulnerabilities[2].cveID,
      undefined,
    ]);
    expect(issues.map((i) => i.message)).toEqual([
      expect.stringMatching(/^vulnerabilities\[1\]: .*dueDate/),
      expect.stringMatching(/^vulnerabilities\[2\]: .*invalid CWE id "79"/),
      expect.stringMatching(/^vulnerabilities\[3\]: /),
    ]);
  });
});

describe('kevReader.sniff', () => {
  it('claims the KEV JSON and CSV, not other feeds', async () => {
    expect(kevReader.sniff('kev.json', await readHead(JSON_GZ))).toBe(true);
    expect(kevReader.sniff('kev.csv', await readHead(CSV_GZ))).toBe(true);
    expect(kevReader.sniff('epss.csv', 'cve,epss,percentile\nCVE-1999-0001,0.03351,0.88255\n')).toBe(false);
    expect(
      kevReader.sniff('osv.json', '{"id":"GHSA-jf85-cpcp-j695","modified":"2024-01-01T00:00:00Z"}'),
    ).toBe(false);
    expect(
      kevReader.sniff(
        'nvd.json',
        await readFile(fixturePath('nvd/vunnel__api2-page-single-entry.json'), 'utf8'),
      ),
    ).toBe(false);
  });
});

describe('kevReader on hostile input', () => {
  it('survives truncated and garbled copies of the real catalogue', async () => {
    const head = async (path: string, bytes: number) => {
      const small = join(scratch, `head-${bytes}-${path.endsWith('.csv.gz') ? 'kev.csv' : 'kev.json'}`);
      await writeFile(small, gunzipSync(await readFile(path)).subarray(0, bytes));
      return small;
    };
    // Damaged copies of the first 20-30 KB of each file: enough for many rows, quick to read.
    const sources = [await head(CSV_GZ, 20_000), await head(JSON_GZ, 30_000), JSON_GZ];
    const stats = await assertSurvivesHostileCopies(kevReader, sources, { runs: 50, gzip: true });
    console.log(
      `[kev fuzz] ${stats.runs} damaged files, ${stats.withIssues} reported issues, ${stats.thrown} PatchwardenErrors`,
    );
    expect(stats.runs).toBe(50);
    expect(stats.withIssues).toBeGreaterThan(0);
  });
});

const sharedJson = sharedDataPath('kev/known_exploited_vulnerabilities.json');
const sharedCsv = sharedDataPath('kev/known_exploited_vulnerabilities.csv');
describe.skipIf(!sharedJson || !sharedCsv)('kevReader on ../shared/data/kev', () => {
  it('reads 1,404 entries from the plain JSON and CSV, which agree entry by entry', async () => {
    const json = await entriesOf(sharedJson as string);
    const csv = await entriesOf(sharedCsv as string);
    expect([json.issues, csv.issues]).toEqual([[], []]);
    expect(json.entries).toHaveLength(1404);
    expectSameCatalogue(json.entries, csv.entries);
    expect(new Set(json.entries.map((e) => e.cveId)).size).toBe(1404);
  });
});
