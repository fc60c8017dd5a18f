import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath, sharedDataPath } from '../../../../test-support/shared-data.ts';
import { readHead } from '../intel-common/open-input.ts';
import { assertSurvivesHostileCopies, ofKind, readAll } from '../intel-common/fuzz-support.ts';
import { parentsFromCsv } from './cwe-entries.ts';
import { cweReader } from './cwe-reader.ts';

const XML = fixturePath('cwe/vulnlistupdate__good-small-cwe.xml');
const VULN_LIST_JSON = fixturePath('cwe/vulnlistupdate__good-small-cwe.json');
const DOJO = fixturePath('cwe/defectdojo__cwe-fixture.json');

const CWE_209 = {
  id: 'CWE-209',
  name: 'Generation of Error Message Containing Sensitive Information',
  abstraction: 'Base',
  description:
    'The product generates an error message that includes sensitive information about its environment, users, or associated data.',
  // ChildOf CWE-200 is listed for views 1000 and 1003; only the research view (1000) counts.
  parents: ['CWE-200', 'CWE-755'],
};

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'pw-cwe-test-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function entriesOf(path: string) {
  const records = await readAll(cweReader, path);
  return {
    entries: ofKind(records, 'cwe').map((r) => r.entry),
    issues: ofKind(records, 'issue').map((r) => r.issue),
  };
}

describe('cweReader on MITRE XML', () => {
  it('reads CWE-209 with its abstraction, description and research-view parents', async () => {
    expect(await entriesOf(XML)).toEqual({ entries: [CWE_209], issues: [] });
  });

  it('agrees with vuln-list-update’s JSON conversion of the same weakness', async () => {
    expect(await entriesOf(VULN_LIST_JSON)).toEqual({ entries: [CWE_209], issues: [] });
  });

  it('streams a catalogue of many weaknesses, skipping categories and views', async () => {
    const xml = await readFile(XML, 'utf8');
    const start = xml.indexOf('<Weakness ID="209"');
    const end = xml.indexOf('</Weakness>', start) + '</Weakness>'.length;
    const weakness = xml.slice(start, end);
    const copies = Array.from({ length: 300 }, (_, i) => weakness.replace('ID="209"', `ID="${10000 + i}"`));
    const catalogue =
      xml.slice(0, start) +
      copies.join('\n') +
      '\n</Weaknesses>\n<Categories><Category ID="1" Name="A category"><Summary>Not a weakness</Summary></Category></Categories>\n' +
      '<Views><View ID="1000" Name="Research Concepts" Type="Graph"><Objective>x</Objective></View></Views>\n</Weakness_Catalog>\n';
    const path = join(scratch, 'cwec_big.xml');
    await writeFile(path, catalogue);
    let first: number | undefined;
    let bytesRead = 0;
    let total = 0;
    const ids: string[] = [];
    for await (const record of cweReader.read(path, {
      onProgress: (read, size) => ((bytesRead = read), (total = size ?? 0)),
    })) {
      if (record.kind !== 'cwe') throw new Error(JSON.stringify(record));
      ids.push(record.entry.id);
      first ??= bytesRead;
    }
    expect(ids).toHaveLength(300);
    expect(ids[299]).toBe('CWE-10299');
    expect(total).toBeGreaterThan(10_000_000);
    expect(first).toBeLessThan(total / 4);
  });

  it('reports malformed XML as one issue naming its line', async () => {
    const xml = await readFile(XML, 'utf8');
    const path = join(scratch, 'broken.xml');
    await writeFile(path, xml.replace('</Related_Weaknesses>', '</Related_Weakness>'));
    const { entries, issues } = await entriesOf(path);
    expect(entries).toEqual([]);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.message).toMatch(/cannot read CWE catalogue: .*:9:/);
  });

  it('reports a weakness without an ID as an issue with its line', async () => {
    const xml = await readFile(XML, 'utf8');
    const path = join(scratch, 'no-id.xml');
    await writeFile(path, xml.replace('<Weakness ID="209"', '<Weakness'));
    const { entries, issues } = await entriesOf(path);
    expect(entries).toEqual([]);
    expect(issues).toEqual([
      { file: path, line: 3, message: 'Weakness without a numeric ID attribute: undefined' },
    ]);
  });
});

describe('cweReader on MITRE CSV (1000.csv layout)', () => {
  // No licensed copy of 1000.csv is available (see MANIFEST gaps), so this sample is written here
  // in MITRE's published column layout, including the trailing comma MITRE's rows end with.
  const header =
    'CWE-ID,Name,Weakness Abstraction,Status,Description,Extended Description,Related Weaknesses,Weakness Ordinalities,Applicable Platforms,Background Details,Alternate Terms,Modes Of Introduction,Exploitation Factors,Likelihood of Exploit,Common Consequences,Detection Methods,Potential Mitigations,Observed Examples,Functional Areas,Affected Resources,Taxonomy Mappings,Related Attack Patterns,Notes';
  const rows = [
    `79,"Improper Neutralization of Input During Web Page Generation ('Cross-site Scripting')",Base,Stable,"The product does not neutralize or incorrectly neutralizes user-controllable input before it is placed in output that is used as a web page that is served to other users.","Cross-site scripting (XSS) vulnerabilities occur when:",::NATURE:ChildOf:CWE ID:74:VIEW ID:1000:ORDINAL:Primary::NATURE:ChildOf:CWE ID:74:VIEW ID:1003:ORDINAL:Primary::,,,,,,,High,,,,,,,,,,`,
    `1004,"Sensitive Cookie Without 'HttpOnly' Flag",Variant,Incomplete,"The product uses a cookie to store sensitive information, but the cookie is not marked with the HttpOnly flag.",,::NATURE:ChildOf:CWE ID:732:VIEW ID:1000:ORDINAL:Primary::NATURE:CanPrecede:CWE ID:79:VIEW ID:1000::,,,,,,,,,,,,,,,,,`,
    `x,"Not a weakness id",Base,Stable,,,,,,,,,,,,,,,,,,,,`,
  ];

  it('reads entries with ChildOf parents in view 1000, and reports a bad id with its line', async () => {
    const path = join(scratch, '1000.csv');
    await writeFile(path, `${header}\n${rows.join('\n')}\n`);
    const { entries, issues } = await entriesOf(path);
    expect(entries).toEqual([
      {
        id: 'CWE-79',
        name: "Improper Neutralization of Input During Web Page Generation ('Cross-site Scripting')",
        abstraction: 'Base',
        description: expect.stringMatching(/^The product does not neutralize/),
        parents: ['CWE-74'],
      },
      {
        id: 'CWE-1004',
        name: "Sensitive Cookie Without 'HttpOnly' Flag",
        abstraction: 'Variant',
        description: expect.stringMatching(/HttpOnly flag\.$/),
        parents: ['CWE-732'],
      },
    ]);
    expect(issues).toEqual([{ file: path, line: 4, message: 'invalid CWE id "x"' }]);
  });

  it('parses the Related Weaknesses notation', () => {
    expect(parentsFromCsv('::NATURE:ChildOf:CWE ID:20:VIEW ID:1000:ORDINAL:Primary::')).toEqual(['CWE-20']);
    expect(
      parentsFromCsv('::NATURE:PeerOf:CWE ID:20:VIEW ID:1000::NATURE:ChildOf:CWE ID:21:VIEW ID:699::'),
    ).toEqual([]);
    expect(parentsFromCsv(undefined)).toEqual([]);
  });
});

describe('cweReader on CWE JSON', () => {
  it('reads the DefectDojo fixture: 397 CWEs with number and name', async () => {
    const { entries, issues } = await entriesOf(DOJO);
    expect(issues).toEqual([]);
    expect(entries).toHaveLength(397);
    expect(entries[0]).toEqual({
      id: 'CWE-15',
      name: 'External Control of System or Configuration Setting',
      parents: [],
    });
    expect(new Set(entries.map((e) => e.id)).size).toBe(397);
  });

  it('reads a directory of CWE files of different formats', async () => {
    const dir = join(scratch, 'cwe-dir');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'a.xml'), await readFile(XML));
    await writeFile(join(dir, 'b.json'), await readFile(VULN_LIST_JSON));
    await writeFile(join(dir, 'c.json'), '{"id":"GHSA-jf85-cpcp-j695","modified":"2024-01-01T00:00:00Z"}');
    const { entries, issues } = await entriesOf(dir);
    expect(entries).toEqual([CWE_209, CWE_209]);
    expect(issues).toEqual([
      { file: join(dir, 'c.json'), message: expect.stringMatching(/not a CWE catalogue/) },
    ]);
  });
});

describe('cweReader.sniff', () => {
  it('claims the catalogue formats only', async () => {
    for (const path of [XML, VULN_LIST_JSON, DOJO])
      expect(cweReader.sniff(path, await readHead(path))).toBe(true);
    expect(cweReader.sniff('1000.csv', 'CWE-ID,Name,Weakness Abstraction,Status\n')).toBe(true);
    expect(cweReader.sniff('cwe.json', '[\n  {\n    "name": "CWE-5: J2EE Misconfiguration",\n')).toBe(true);
    expect(
      cweReader.sniff('osv.json', '{"id":"GHSA-jf85-cpcp-j695","modified":"2024-01-01T00:00:00Z"}'),
    ).toBe(false);
    expect(cweReader.sniff('kev.csv', 'cveID,vendorProject,product\n')).toBe(false);
    expect(cweReader.sniff('report.xml', '<?xml version="1.0"?><NessusClientData_v2>')).toBe(false);
  });
});

describe('cweReader on hostile input', () => {
  it('survives truncated and garbled copies of real CWE files', async () => {
    const dojoHead = join(scratch, 'dojo-head.json');
    await writeFile(dojoHead, (await readFile(DOJO)).subarray(0, 8000));
    const stats = await assertSurvivesHostileCopies(cweReader, [XML, VULN_LIST_JSON, dojoHead], {
      runs: 60,
      gzip: true,
    });
    console.log(
      `[cwe fuzz] ${stats.runs} damaged files, ${stats.withIssues} reported issues, ${stats.thrown} PatchwardenErrors`,
    );
    expect(stats.runs).toBe(60);
    expect(stats.withIssues).toBeGreaterThan(0);
  });
});

const aptrs = sharedDataPath('cwe/aptrs__cwe.json');
describe.skipIf(!aptrs)('cweReader on ../shared/data/cwe', () => {
  it('reads all 940 weaknesses of the APTRS export', async () => {
    const { entries, issues } = await entriesOf(aptrs as string);
    expect(issues).toEqual([]);
    expect(entries).toHaveLength(940);
    expect(new Set(entries.map((e) => e.id)).size).toBe(940);
    expect(entries.find((e) => e.id === 'CWE-79')).toEqual({
      id: 'CWE-79',
      name: "Improper Neutralization of Input During Web Page Generation ('Cross-site Scripting')",
      description:
        'The product does not neutralize or incorrectly neutralizes user-controllable input before it is placed in output that is used as a web page that is served to other users.',
      parents: [],
    });
  });
});

describe('cweReader on MITRE zip downloads', () => {
  it('reads the catalogue XML inside cwec_latest.xml.zip', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pw-cwe-zip-'));
    await writeFile(
      join(dir, 'cwec_v4.18.xml'),
      await readFile(fixturePath('cwe/vulnlistupdate__good-small-cwe.xml')),
    );
    const zip = join(dir, 'cwec_latest.xml.zip');
    execFileSync('python3', [
      '-c',
      `import zipfile,sys; z=zipfile.ZipFile(sys.argv[1],'w',zipfile.ZIP_DEFLATED); z.write(sys.argv[2],'cwec_v4.18.xml'); z.close()`,
      zip,
      join(dir, 'cwec_v4.18.xml'),
    ]);
    expect(cweReader.sniff(zip, '')).toBe(true);
    expect(await readAll(cweReader, zip)).toEqual([
      expect.objectContaining({
        kind: 'cwe',
        entry: expect.objectContaining({ id: 'CWE-209', parents: ['CWE-200', 'CWE-755'] }),
      }),
    ]);
  });
});
