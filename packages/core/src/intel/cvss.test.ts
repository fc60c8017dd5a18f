import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixturePath, sharedDataPath } from '../../../../test-support/shared-data.ts';
import { PatchwardenError } from '../errors/errors.ts';
import { bestCvss, scoreCvss, severityFromScore, type CvssVersion } from './cvss.ts';

describe('scoreCvss: known vectors', () => {
  it('scores the canonical critical v3.1 vector 9.8', () => {
    expect(scoreCvss('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toEqual({
      version: '3.1',
      vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
      baseScore: 9.8,
      severity: 'critical',
    });
  });

  it('scores a v4.0 vector 9.3', () => {
    const score = scoreCvss('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N');
    expect(score).toMatchObject({ version: '4.0', baseScore: 9.3, severity: 'critical' });
  });

  it('keeps the v4.0 base score (CVSS-B) when threat metrics are present', () => {
    // With E:U the CVSS-BT score is 8.1; the base score stays 9.3.
    expect(scoreCvss('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U').baseScore).toBe(
      9.3,
    );
  });

  it('scores v3.0, and v3.x temporal metrics leave the base score alone', () => {
    expect(scoreCvss('CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toMatchObject({
      version: '3.0',
      baseScore: 9.8,
    });
    expect(scoreCvss('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:C').baseScore).toBe(9.8);
  });

  it('scores bare, parenthesised and prefixed v2 vectors', () => {
    for (const vector of [
      'AV:N/AC:L/Au:N/C:P/I:P/A:P',
      '(AV:N/AC:L/Au:N/C:P/I:P/A:P)',
      ' AV:N/AC:L/Au:N/C:P/I:P/A:P ',
      'CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P',
    ]) {
      expect(scoreCvss(vector)).toMatchObject({ version: '2.0', baseScore: 7.5, severity: 'high' });
    }
    expect(scoreCvss('(AV:N/AC:L/Au:N/C:P/I:P/A:P)').vector).toBe('AV:N/AC:L/Au:N/C:P/I:P/A:P');
  });

  it('rates a zero score none in v3 but low in v2, whose NVD bands have no none', () => {
    expect(scoreCvss('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N')).toMatchObject({
      baseScore: 0,
      severity: 'none',
    });
    expect(scoreCvss('AV:N/AC:L/Au:N/C:N/I:N/A:N')).toMatchObject({ baseScore: 0, severity: 'low' });
  });
});

describe('scoreCvss: invalid vectors', () => {
  const invalid: [string, string][] = [
    ['', 'empty'],
    ['high', 'a distro rating'],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H', 'missing base metric A'],
    ['CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'base metric not defined'],
    ['CVSS:3.1/AV:n/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'lower-case value'],
    ['CVSS:3.1/AV:N/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'repeated metric'],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/', 'trailing slash'],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/XX:Y', 'unknown metric'],
    ['CVSS:3.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 'v4 metrics under a v3.0 prefix'],
    ['CVSS:3.2/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'unknown version'],
    ['AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'v3 metrics without a prefix'],
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H', 'v4 without subsequent-system metrics'],
  ];
  for (const [vector, why] of invalid) {
    it(`rejects ${JSON.stringify(vector)} (${why}) with PW_ERR_INVALID_CVSS naming the vector`, () => {
      let thrown: unknown;
      try {
        scoreCvss(vector);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(PatchwardenError);
      expect((thrown as PatchwardenError).code).toBe('PW_ERR_INVALID_CVSS');
      expect((thrown as PatchwardenError).details.vector).toBe(vector);
    });
  }

  it('never throws anything but a PatchwardenError, whatever the string', () => {
    const metric = fc.constantFrom(
      'AV',
      'AC',
      'PR',
      'UI',
      'S',
      'C',
      'I',
      'A',
      'AT',
      'VC',
      'SC',
      'Au',
      'E',
      'X',
      'av',
    );
    const value = fc.constantFrom('N', 'L', 'H', 'P', 'A', 'R', 'U', 'C', 'X', 'M', 'S', 'n', 'Amber', '');
    const vectorish = fc
      .tuple(
        fc.constantFrom('CVSS:4.0/', 'CVSS:3.1/', 'CVSS:3.0/', 'CVSS:2.0/', '', '(', 'CVSS:'),
        fc.array(fc.tuple(metric, value), { maxLength: 30 }),
      )
      .map(([prefix, parts]) => prefix + parts.map(([m, v]) => `${m}:${v}`).join('/'));
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 80 }), vectorish),
        (input) => {
          try {
            const score = scoreCvss(input);
            expect(score.baseScore).toBeGreaterThanOrEqual(0);
            expect(score.baseScore).toBeLessThanOrEqual(10);
          } catch (error) {
            expect(error).toBeInstanceOf(PatchwardenError);
            expect((error as PatchwardenError).code).toBe('PW_ERR_INVALID_CVSS');
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('severityFromScore', () => {
  it('uses the FIRST bands for v3 and v4', () => {
    const bands: [number, string][] = [
      [0, 'none'],
      [0.1, 'low'],
      [3.9, 'low'],
      [4, 'medium'],
      [6.9, 'medium'],
      [7, 'high'],
      [8.9, 'high'],
      [9, 'critical'],
      [10, 'critical'],
    ];
    for (const version of ['3.0', '3.1', '4.0'] as CvssVersion[]) {
      for (const [score, severity] of bands) expect(severityFromScore(score, version)).toBe(severity);
    }
  });

  it('uses NVD v2 bands, which stop at high', () => {
    expect([0, 3.9, 4, 6.9, 7, 10].map((s) => severityFromScore(s, '2.0'))).toEqual([
      'low',
      'low',
      'medium',
      'medium',
      'high',
      'high',
    ]);
  });

  it('refuses scores outside 0-10', () => {
    for (const score of [-0.1, 10.1, Number.NaN])
      expect(() => severityFromScore(score, '3.1')).toThrow(PatchwardenError);
  });
});

describe('bestCvss', () => {
  const v2 = { type: 'CVSS_V2', score: 'AV:N/AC:L/Au:N/C:P/I:P/A:P' };
  const v30 = { type: 'CVSS_V3', score: 'CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H' };
  const v31 = { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' };
  const v4 = { type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N' };

  it('prefers v4 over v3.1 over v3.0 over v2, whatever the order given', () => {
    expect(bestCvss([v2, v30, v31, v4])?.version).toBe('4.0');
    expect(bestCvss([v2, v31, v30])?.version).toBe('3.1');
    expect(bestCvss([v2, v30])?.version).toBe('3.0');
    expect(bestCvss([v2])?.version).toBe('2.0');
  });

  it('skips ratings that are not valid vectors, and keeps the first of equal versions', () => {
    const broken = { type: 'CVSS_V4', score: 'CVSS:4.0/AV:N' };
    const low = { type: 'CVSS_V3', score: 'CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N' };
    expect(bestCvss([{ type: 'Ubuntu', score: 'high' }, broken, low, v31])).toMatchObject({
      version: '3.1',
      baseScore: 1.8,
    });
    expect(bestCvss([{ type: 'Debian', score: 'unimportant' }])).toBeUndefined();
    expect(bestCvss([])).toBeUndefined();
  });
});

/** Every `{vectorString, baseScore}` pair in the JSON files under `root` (NVD cvssData, CVE 5 cvssVx_y). */
function publishedScores(root: string): { file: string; vector: string; baseScore: number }[] {
  const found: { file: string; vector: string; baseScore: number }[] = [];
  const visit = (value: unknown, file: string): void => {
    if (Array.isArray(value)) value.forEach((v) => visit(v, file));
    else if (typeof value === 'object' && value !== null) {
      const record = value as Record<string, unknown>;
      if (typeof record.vectorString === 'string' && typeof record.baseScore === 'number') {
        found.push({ file: relative(root, file), vector: record.vectorString, baseScore: record.baseScore });
      }
      Object.values(record).forEach((v) => visit(v, file));
    }
  };
  const walk = (path: string): void => {
    if (statSync(path).isDirectory())
      readdirSync(path)
        .sort()
        .forEach((name) => walk(join(path, name)));
    else if (path.endsWith('.json')) visit(JSON.parse(readFileSync(path, 'utf8')), path);
  };
  walk(root);
  return found;
}

function crossCheck(label: string, roots: string[]): void {
  const published = roots.flatMap(publishedScores);
  const byVersion: Record<string, number> = {};
  const mismatches: string[] = [];
  for (const { file, vector, baseScore } of published) {
    const score = scoreCvss(vector);
    byVersion[score.version] = (byVersion[score.version] ?? 0) + 1;
    if (score.baseScore !== baseScore)
      mismatches.push(`${file}: ${vector} published ${baseScore}, computed ${score.baseScore}`);
  }
  const distinct = new Set(published.map((p) => `${p.vector} ${p.baseScore}`)).size;
  console.log(
    `[cvss cross-check] ${label}: ${published.length} published scores (${distinct} distinct) checked ` +
      `(${Object.entries(byVersion)
        .map(([v, n]) => `v${v}: ${n}`)
        .join(', ')}), ${mismatches.length} mismatches`,
  );
  // Every published score in these files agrees; a stale NVD score would have to be listed here
  // with the reason, not filtered out.
  expect(mismatches).toEqual([]);
  expect(published.length).toBeGreaterThan(0);
}

describe('scoreCvss against published scores', () => {
  it('agrees with every score in the committed NVD and CVE 5 fixtures', () => {
    crossCheck('fixtures', [fixturePath('nvd'), fixturePath('cve5')]);
  });

  const nvd = sharedDataPath('nvd');
  const cve5 = sharedDataPath('cve5');
  it.skipIf(!nvd || !cve5)('agrees with every score in ../shared/data/nvd and cve5', () => {
    crossCheck('shared data', [nvd as string, cve5 as string]);
  });
});
