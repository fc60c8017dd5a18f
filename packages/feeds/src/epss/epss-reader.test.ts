import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath, sharedDataPath } from '../../../../test-support/shared-data.ts';
import { readHead } from '../intel-common/open-input.ts';
import { assertSurvivesHostileCopies, ofKind, readAll } from '../intel-common/fuzz-support.ts';
import { epssReader } from './epss-reader.ts';

const epss = (date: string) => fixturePath(`epss/vuls-data-update__epss_scores-${date}.csv.gz`);

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'pw-epss-test-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function scoresOf(path: string) {
  const records = await readAll(epssReader, path);
  return {
    scores: ofKind(records, 'epss').map((r) => r.score),
    issues: ofKind(records, 'issue').map((r) => r.issue),
  };
}

describe('epssReader on the three historical layouts (committed gz files)', () => {
  it('v1 (2021-04): cve,epss; the date comes from the file name', async () => {
    expect(await scoresOf(epss('2021-04-14'))).toEqual({
      scores: [
        { cveId: 'CVE-2020-5902', epss: 0.65117, date: '2021-04-14' },
        { cveId: 'CVE-2018-19571', epss: 0.04773, date: '2021-04-14' },
      ],
      issues: [],
    });
  });

  it('v2 (2021-09): adds the percentile', async () => {
    const { scores } = await scoresOf(epss('2021-09-01'));
    expect(scores[0]).toEqual({
      cveId: 'CVE-2020-5902',
      epss: 0.65117,
      percentile: 0.9981063485700858,
      date: '2021-09-01',
    });
  });

  it('v3 (2022 on): model version and score date from the comment line', async () => {
    expect((await scoresOf(epss('2022-02-04'))).scores[1]).toEqual({
      cveId: 'CVE-2018-19571',
      epss: 0.17187,
      percentile: 0.93112,
      date: '2022-02-04',
      modelVersion: 'v2022.01.01',
    });
    const { scores, issues } = await scoresOf(epss('2023-03-07'));
    expect(issues).toEqual([]);
    expect(scores.map((s) => [s.cveId, s.epss, s.percentile, s.date, s.modelVersion])).toEqual([
      ['CVE-2020-5902', 0.97567, 0.99995, '2023-03-07', 'v2023.03.01'],
      ['CVE-2018-19571', 0.00113, 0.43131, '2023-03-07', 'v2023.03.01'],
    ]);
  });

  it('prefers the score_date of the comment line to the file name', async () => {
    const path = join(scratch, 'epss_scores-2020-01-01.csv');
    await writeFile(
      path,
      '#model_version:v2025.03.14,score_date:2025-06-01T00:00:00Z\ncve,epss,percentile\nCVE-2024-3094,0.8,0.99\n',
    );
    expect((await scoresOf(path)).scores[0]).toMatchObject({
      date: '2025-06-01',
      modelVersion: 'v2025.03.14',
    });
  });
});

describe('epssReader validation', () => {
  it('reports bad rows with their line numbers and reads on', async () => {
    const path = join(scratch, 'bad-rows.csv');
    await writeFile(
      path,
      [
        '#model_version:v2023.03.01,score_date:2023-03-07T00:00:00+0000',
        'cve,epss,percentile',
        'CVE-2020-5902,0.97567,0.99995',
        'CVE-20-1,0.1,0.2',
        'CVE-2018-19571,1.5,0.4',
        'CVE-2018-19572,0.1,NaN',
        '',
        'CVE-2018-19573,0.00113,0.43131',
        'CVE-2018-19574,4e-05,0.01',
      ].join('\r\n'),
    );
    const { scores, issues } = await scoresOf(path);
    expect(scores.map((s) => s.cveId)).toEqual(['CVE-2020-5902', 'CVE-2018-19573', 'CVE-2018-19574']);
    expect(scores[2]?.epss).toBe(0.00004);
    expect(issues.map((i) => [i.line, i.record])).toEqual([
      [4, undefined],
      [5, 'CVE-2018-19571'],
      [6, 'CVE-2018-19572'],
    ]);
    expect(issues[1]?.message).toMatch(/epss is not a probability: "1.5"/);
  });

  it('stops with one issue when the header is missing', async () => {
    const path = join(scratch, 'no-header.csv');
    await writeFile(path, '#model_version:v2023.03.01\nCVE-2020-5902,0.97567,0.99995\n');
    expect(await scoresOf(path)).toEqual({
      scores: [],
      issues: [{ file: path, line: 2, message: expect.stringMatching(/expected the header/) }],
    });
  });

  it('streams a full-size gzipped file (300,000 rows) in one pass', async () => {
    const rows = ['#model_version:v2025.03.14,score_date:2025-09-29T00:00:00Z', 'cve,epss,percentile'];
    for (let i = 0; i < 300_000; i++)
      rows.push(
        `CVE-${2000 + (i % 25)}-${10000 + i},0.${String(i % 99991).padStart(5, '0')},0.${String(i).padStart(6, '0')}`,
      );
    const path = join(scratch, 'epss_scores-2025-09-29.csv.gz');
    await writeFile(path, gzipSync(rows.join('\n')));
    let count = 0;
    let issues = 0;
    let bytesAtFirst: number | undefined;
    let bytesRead = 0;
    let total = 0;
    for await (const record of epssReader.read(path, {
      onProgress: (read, size) => ((bytesRead = read), (total = size ?? 0)),
    })) {
      if (record.kind === 'epss') {
        count += 1;
        bytesAtFirst ??= bytesRead;
      } else issues += 1;
    }
    expect([count, issues]).toEqual([300_000, 0]);
    expect(bytesAtFirst).toBeLessThan(total / 4);
  });
});

describe('epssReader.sniff', () => {
  it('claims every EPSS layout, gz or not, and not KEV or OSV', async () => {
    for (const date of ['2021-04-14', '2021-09-01', '2022-02-04', '2023-03-07']) {
      expect(epssReader.sniff(epss(date), await readHead(epss(date)))).toBe(true);
    }
    expect(epssReader.sniff('kev.csv', 'cveID,vendorProject,product,vulnerabilityName\n')).toBe(false);
    expect(epssReader.sniff('osv.json', '{"id":"CVE-2021-44228","modified":"2024-01-01T00:00:00Z"}')).toBe(
      false,
    );
    expect(epssReader.sniff('x.csv', 'cve,epssx\n')).toBe(false);
  });
});

describe('epssReader on hostile input', () => {
  it('survives truncated and garbled copies of real EPSS files', async () => {
    const plain = join(scratch, 'epss_scores-2023-03-07.csv');
    await writeFile(plain, gunzipSync(await readFile(epss('2023-03-07'))));
    const stats = await assertSurvivesHostileCopies(
      epssReader,
      [plain, epss('2021-04-14'), epss('2021-09-01')],
      { runs: 60, gzip: true },
    );
    console.log(
      `[epss fuzz] ${stats.runs} damaged files, ${stats.withIssues} reported issues, ${stats.thrown} PatchwardenErrors`,
    );
    expect(stats.runs).toBe(60);
    expect(stats.withIssues).toBeGreaterThan(0);
  });
});

const sample = sharedDataPath('epss/epss_scores-current.SAMPLE-first30rows.csv');
describe.skipIf(!sample)('epssReader on ../shared/data/epss', () => {
  it('reads the 30-row sample of the current layout', async () => {
    const { scores, issues } = await scoresOf(sample as string);
    expect(issues).toEqual([]);
    expect(scores).toHaveLength(30);
    expect(scores[0]).toEqual({
      cveId: 'CVE-1999-0001',
      epss: 0.03351,
      percentile: 0.88255,
      date: '2026-09-29',
      modelVersion: 'v2026.06.15',
    });
  });

  it('reads the four vuls-data-update files there as in the fixtures', async () => {
    for (const date of ['2021-04-14', '2021-09-01', '2022-02-04', '2023-03-07']) {
      const shared = sharedDataPath(`epss/vuls-data-update__epss_scores-${date}.csv.gz`) as string;
      expect(await scoresOf(shared)).toEqual(await scoresOf(epss(date)));
    }
  });
});
