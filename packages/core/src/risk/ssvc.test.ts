import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { fixturePath, sharedDataPath } from '../../../../test-support/shared-data.ts';
import { PatchwardenError } from '../errors/errors.ts';
import type { KevEntry } from '../intel/advisory.ts';
import { bestCvss } from '../intel/cvss.ts';
import type { Finding } from '../matching/finding.ts';
import { SSVC_MISSION_WELLBEING } from './cisa-ssvc-table.ts';
import type { CisaSsvcRow, SsvcMissionWellbeing } from './cisa-ssvc-table.ts';
import { DEFAULT_EPSS_POC_THRESHOLD, hasPublicExploitReference, ssvcDecision } from './ssvc.ts';
import type { SsvcInput } from './ssvc.ts';
import { cve5Facts, kevCatalogue, parseCisaTableCsv } from './testing/intel-fixtures.ts';
import type { Cve5Facts } from './testing/intel-fixtures.ts';

const published = parseCisaTableCsv(
  readFileSync(fixturePath('risk/certcc-ssvc__cisa_coordinator_2_0_3.csv'), 'utf8'),
);
const kev = kevCatalogue(
  JSON.parse(
    gunzipSync(readFileSync(fixturePath('kev/known_exploited_vulnerabilities.json.gz'))).toString('utf8'),
  ),
);

/** The published outcome for points, looked up in the CSV (independently of the module's table). */
function publishedOutcome(points: Omit<CisaSsvcRow, 'outcome'>): string | undefined {
  return published.find(
    (row) =>
      row.exploitation === points.exploitation &&
      row.automatable === points.automatable &&
      row.technicalImpact === points.technicalImpact &&
      row.missionWellbeing === points.missionWellbeing,
  )?.outcome;
}

function kevOf(entry: KevEntry | undefined): Finding['kev'] {
  return entry
    ? {
        dateAdded: entry.dateAdded,
        dueDate: entry.dueDate,
        knownRansomwareCampaignUse: entry.knownRansomwareCampaignUse,
      }
    : undefined;
}

function findingOf(facts: Cve5Facts): NonNullable<SsvcInput['finding']> {
  const finding: NonNullable<SsvcInput['finding']> = { id: facts.id };
  const cvss = bestCvss(facts.ratings);
  if (cvss) finding.cvss = { version: cvss.version, vector: cvss.vector, baseScore: cvss.baseScore };
  const entry = kevOf(kev.get(facts.id));
  if (entry) finding.kev = entry;
  return finding;
}

function jsonFiles(root: string): string[] {
  return readdirSync(root).flatMap((name) => {
    const path = join(root, name);
    if (statSync(path).isDirectory()) return jsonFiles(path);
    return name.endsWith('.json') ? [path] : [];
  });
}

function recordsWithSsvc(root: string): Cve5Facts[] {
  return jsonFiles(root)
    .map((path) => cve5Facts(JSON.parse(readFileSync(path, 'utf8'))))
    .filter((facts) => facts.ssvc !== undefined);
}

const V31_CRITICAL = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';

describe('ssvcDecision: exploitation', () => {
  it('takes CISA ADP points when present', () => {
    const result = ssvcDecision({
      adp: { exploitation: 'poc', automatable: 'no', technicalImpact: 'partial' },
      missionWellbeing: 'high',
    });
    expect(result.points).toMatchObject({
      exploitation: 'poc',
      automatable: 'no',
      technicalImpact: 'partial',
    });
    expect(result.derivedFrom.exploitation.source).toBe('cisa-adp');
    expect(result.decision).toBe('track*');
    expect(result.table).toBe('cisa:DT_CO:2.0.3');
  });

  it('raises a stale ADP "none" to active when the CVE is in KEV, and says so', () => {
    const result = ssvcDecision({
      adp: { exploitation: 'none', automatable: 'no', technicalImpact: 'partial' },
      finding: {
        kev: { dateAdded: '2023-07-27', dueDate: '2023-08-17', knownRansomwareCampaignUse: 'Unknown' },
      },
      missionWellbeing: 'high',
    });
    expect(result.points.exploitation).toBe('active');
    expect(result.derivedFrom.exploitation.source).toBe('kev');
    expect(result.derivedFrom.exploitation.explanation).toMatch(
      /CISA ADP assessed "none", but in CISA KEV since 2023-07-27/,
    );
    expect(result.decision).toBe('attend');
  });

  it('raises ADP "none" to poc on a public exploit, but never lowers ADP', () => {
    const poc = ssvcDecision({ adp: { exploitation: 'none' }, publicExploit: true, missionWellbeing: 'low' });
    expect(poc.points.exploitation).toBe('poc');
    expect(poc.derivedFrom.exploitation.source).toBe('public-exploit');
    const active = ssvcDecision({
      adp: { exploitation: 'active' },
      publicExploit: true,
      missionWellbeing: 'low',
    });
    expect(active.points.exploitation).toBe('active');
    expect(active.derivedFrom.exploitation.source).toBe('cisa-adp');
  });

  it('without ADP: KEV -> active, exploit reference -> poc, EPSS at the threshold -> poc, else none', () => {
    const kevOnly = ssvcDecision({
      finding: {
        kev: { dateAdded: '2024-06-12', dueDate: '2024-07-03', knownRansomwareCampaignUse: 'Known' },
      },
    });
    expect([kevOnly.points.exploitation, kevOnly.derivedFrom.exploitation.source]).toEqual(['active', 'kev']);

    const reference = ssvcDecision({
      references: [{ type: 'WEB', url: 'https://www.exploit-db.com/exploits/44039/' }],
    });
    expect([reference.points.exploitation, reference.derivedFrom.exploitation.source]).toEqual([
      'poc',
      'public-exploit',
    ]);

    const atThreshold = ssvcDecision({ finding: { epss: { score: DEFAULT_EPSS_POC_THRESHOLD } } });
    expect([atThreshold.points.exploitation, atThreshold.derivedFrom.exploitation.source]).toEqual([
      'poc',
      'epss',
    ]);

    const below = ssvcDecision({ finding: { epss: { score: 0.0999 } } });
    expect([below.points.exploitation, below.derivedFrom.exploitation.source]).toEqual(['none', 'default']);
    expect(below.derivedFrom.exploitation.explanation).toContain('EPSS 0.0999 is below 0.1');

    const nothing = ssvcDecision({});
    expect(nothing.derivedFrom.exploitation.explanation).toContain('no EPSS score');
  });

  it('takes the EPSS threshold as an option and refuses one outside 0..1', () => {
    expect(
      ssvcDecision({ finding: { epss: { score: 0.05 } } }, { epssPocThreshold: 0.05 }).points.exploitation,
    ).toBe('poc');
    expect(() => ssvcDecision({}, { epssPocThreshold: 2 })).toThrow(/epssPocThreshold/);
  });

  it('recognises exploit references: OSV EVIDENCE, Exploit-DB, Packet Storm, Metasploit modules', () => {
    expect(hasPublicExploitReference([{ type: 'EVIDENCE', url: 'https://example.org/poc' }])).toBe(true);
    expect(
      hasPublicExploitReference([{ type: 'WEB', url: 'https://packetstormsecurity.com/files/1/x.html' }]),
    ).toBe(true);
    expect(
      hasPublicExploitReference([
        {
          type: 'WEB',
          url: 'https://github.com/rapid7/metasploit-framework/blob/master/modules/exploits/x.rb',
        },
      ]),
    ).toBe(true);
    expect(
      hasPublicExploitReference([{ type: 'FIX', url: 'https://github.com/php/php-src/commit/abc' }]),
    ).toBe(false);
    expect(hasPublicExploitReference([{ type: 'WEB', url: 'not a url' }])).toBe(false);
  });
});

describe('ssvcDecision: automatable and technical impact', () => {
  it('derives yes/total from AV:N/AC:L/PR:N/UI:N and C:H/I:H in CVSS v3', () => {
    const result = ssvcDecision({
      finding: { cvss: { version: '3.1', vector: V31_CRITICAL, baseScore: 9.8 } },
    });
    expect(result.points).toMatchObject({ automatable: 'yes', technicalImpact: 'total' });
    expect(result.derivedFrom.automatable.source).toBe('cvss');
    expect(result.derivedFrom.automatable.explanation).toContain(
      'AV:N/AC:L/PR:N/UI:N is AV:N/AC:L/PR:N/UI:N',
    );
  });

  it('derives no/partial when a metric differs (user interaction, low integrity impact)', () => {
    const vector = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:L/A:N';
    const result = ssvcDecision({ finding: { cvss: { version: '3.1', vector, baseScore: 8.1 } } });
    expect(result.points).toMatchObject({ automatable: 'no', technicalImpact: 'partial' });
    expect(result.derivedFrom.technicalImpact.explanation).toContain('C:H/I:L is not C:H/I:H');
  });

  it('reads CVSS v4 (VC/VI; AT does not block automatable) and v2 (Au, C:C/I:C)', () => {
    const v4 = 'CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N';
    expect(
      ssvcDecision({ finding: { cvss: { version: '4.0', vector: v4, baseScore: 9.2 } } }).points,
    ).toMatchObject({
      automatable: 'yes',
      technicalImpact: 'total',
    });
    const v2 = 'AV:N/AC:L/Au:N/C:C/I:C/A:C';
    expect(
      ssvcDecision({ finding: { cvss: { version: '2.0', vector: v2, baseScore: 10 } } }).points,
    ).toMatchObject({
      automatable: 'yes',
      technicalImpact: 'total',
    });
    const v2Partial = 'AV:N/AC:M/Au:S/C:P/I:P/A:P';
    expect(
      ssvcDecision({ finding: { cvss: { version: '2.0', vector: v2Partial, baseScore: 6 } } }).points,
    ).toMatchObject({ automatable: 'no', technicalImpact: 'partial' });
  });

  it('assumes yes/total when nothing is known, and says it is a conservative default', () => {
    const result = ssvcDecision({});
    expect(result.points).toMatchObject({ automatable: 'yes', technicalImpact: 'total' });
    expect(result.derivedFrom.automatable).toMatchObject({ source: 'default' });
    expect(result.derivedFrom.automatable.explanation).toMatch(/unknown.*conservative/);
    expect(result.derivedFrom.technicalImpact.explanation).toMatch(/unknown.*conservative/);
  });

  it('prefers ADP over the CVSS vector', () => {
    const result = ssvcDecision({
      adp: { automatable: 'no', technicalImpact: 'partial' },
      finding: { cvss: { version: '3.1', vector: V31_CRITICAL, baseScore: 9.8 } },
    });
    expect(result.points).toMatchObject({ automatable: 'no', technicalImpact: 'partial' });
    expect(result.derivedFrom.technicalImpact.source).toBe('cisa-adp');
  });
});

describe('ssvcDecision: mission & well-being', () => {
  it('maps business impact to mission prevalence and data sensitivity to well-being, then exposure moves one step', () => {
    const cases: [SsvcInput['asset'], SsvcMissionWellbeing][] = [
      [{ businessImpact: 1, dataSensitivity: 'public', exposure: 'internal' }, 'low'],
      [{ businessImpact: 1, dataSensitivity: 'public', exposure: 'internet' }, 'medium'],
      [{ businessImpact: 2, dataSensitivity: 'confidential', exposure: 'internal' }, 'medium'],
      [{ businessImpact: 3, dataSensitivity: 'internal', exposure: 'internal' }, 'medium'],
      [{ businessImpact: 4, dataSensitivity: 'restricted', exposure: 'internet' }, 'high'],
      [{ businessImpact: 4, dataSensitivity: 'restricted', exposure: 'isolated' }, 'low'],
      [{ businessImpact: 5, dataSensitivity: 'public', exposure: 'isolated' }, 'medium'],
      [{ businessImpact: 5, dataSensitivity: 'public', exposure: 'internal' }, 'high'],
      [{ businessImpact: 5, exposure: 'internet' }, 'high'],
    ];
    for (const [asset, expected] of cases) {
      const result = ssvcDecision({ asset });
      expect(result.points.missionWellbeing, JSON.stringify(asset)).toBe(expected);
      expect(result.derivedFrom.missionWellbeing.source).toBe('asset');
    }
  });

  it('treats an unknown asset as impact 4, confidential, internal: medium, and explains it', () => {
    const result = ssvcDecision({});
    expect(result.points.missionWellbeing).toBe('medium');
    const text = result.derivedFrom.missionWellbeing.explanation;
    expect(text).toContain('business impact unknown (counted as 4) -> mission prevalence support');
    expect(text).toContain(
      'data sensitivity unknown (counted as confidential) -> public well-being material',
    );
    expect(text).toContain('exposure unknown (counted as internal): unchanged');
  });

  it('takes a person-assessed value over the asset, and refuses values outside the tree', () => {
    const result = ssvcDecision({ asset: { businessImpact: 1 }, missionWellbeing: 'high' });
    expect(result.points.missionWellbeing).toBe('high');
    expect(result.derivedFrom.missionWellbeing.source).toBe('given');
    expect(() => ssvcDecision({ missionWellbeing: 'severe' as SsvcMissionWellbeing })).toThrow(
      PatchwardenError,
    );
    expect(() => ssvcDecision({ asset: { businessImpact: 7 as 5 } })).toThrow(/asset.businessImpact/);
    expect(() => ssvcDecision({ asset: { exposure: 'dmz' as 'internet' } })).toThrow(/asset.exposure/);
  });

  it('refuses ADP values outside the tree, naming the field and the record', () => {
    try {
      ssvcDecision({ adp: { exploitation: 'weaponised' as 'active' }, finding: { id: 'CVE-2024-0001' } });
      expect.unreachable();
    } catch (error) {
      expect((error as PatchwardenError).details).toMatchObject({
        field: 'adp.exploitation',
        record: 'CVE-2024-0001',
      });
    }
  });
});

describe('ssvcDecision on real CVE 5 records with CISA ADP SSVC', () => {
  function checkAgainstTable(records: Cve5Facts[]): void {
    for (const facts of records) {
      for (const missionWellbeing of SSVC_MISSION_WELLBEING) {
        const result = ssvcDecision({ adp: facts.ssvc, missionWellbeing });
        expect(result.points).toEqual({ ...facts.ssvc, missionWellbeing });
        expect(result.decision, `${facts.id} ${missionWellbeing}`).toBe(publishedOutcome(result.points));
        expect(Object.values(result.derivedFrom).map((d) => d.source)).toEqual([
          'cisa-adp',
          'cisa-adp',
          'cisa-adp',
          'given',
        ]);
      }
    }
  }

  const committed = recordsWithSsvc(fixturePath('cve5'));

  it('decides every committed record as the published table does for its ADP points', () => {
    expect(committed.map((f) => f.id).sort()).toEqual(['CVE-2024-4577', 'CVE-2024-7264', 'CVE-2024-9298']);
    checkAgainstTable(committed);
  });

  it('derives from CVSS and KEV the same points CISA ADP gives for the committed records', () => {
    for (const facts of committed) {
      const derived = ssvcDecision({ finding: findingOf(facts), missionWellbeing: 'high' });
      expect(derived.points, facts.id).toEqual({ ...facts.ssvc, missionWellbeing: 'high' });
    }
    // PHP-CGI argument injection: active (KEV, ransomware), automatable, total; Act on a high-impact asset.
    const php = committed.find((f) => f.id === 'CVE-2024-4577') as Cve5Facts;
    const result = ssvcDecision({
      adp: php.ssvc,
      finding: findingOf(php),
      asset: { businessImpact: 5, exposure: 'internet', dataSensitivity: 'confidential' },
    });
    expect(result.decision).toBe('act');
    expect(result.points.missionWellbeing).toBe('high');
  });

  const sharedCve5 = sharedDataPath('cve5');
  it.skipIf(!sharedCve5)(
    'checks all 50 shared records; KEV overrides stale ADP; CVSS fallback agreement',
    () => {
      const records = recordsWithSsvc(sharedCve5 as string);
      expect(records).toHaveLength(50);
      checkAgainstTable(records);

      const raisedByKev = records.filter((facts) => {
        const result = ssvcDecision({
          adp: facts.ssvc,
          finding: findingOf(facts),
          missionWellbeing: 'medium',
        });
        return result.points.exploitation !== facts.ssvc?.exploitation;
      });
      // CVE-2023-37580 (Zimbra XSS): ADP says none, yet KEV lists it since 2023-07-27 and the record's
      // own ADP container carries that KEV date.
      expect(raisedByKev.map((f) => f.id)).toEqual(['CVE-2023-37580']);

      const inKevActive = records.filter((f) => f.ssvc?.exploitation === 'active');
      expect(inKevActive.every((f) => kev.has(f.id))).toBe(true);

      let withCvss = 0;
      let automatableAgrees = 0;
      let impactAgrees = 0;
      for (const facts of records) {
        const finding = findingOf(facts);
        if (!finding.cvss) continue;
        withCvss++;
        const derived = ssvcDecision({ finding: { cvss: finding.cvss } });
        if (derived.points.automatable === facts.ssvc?.automatable) automatableAgrees++;
        if (derived.points.technicalImpact === facts.ssvc?.technicalImpact) impactAgrees++;
      }
      console.log(
        `[ssvc shared] ${records.length} records with ADP SSVC, ${inKevActive.length} active (all in KEV), ` +
          `KEV raised ${raisedByKev.length}; CVSS fallback on ${withCvss}: automatable agrees ${automatableAgrees}, ` +
          `technical impact agrees ${impactAgrees}`,
      );
      expect(withCvss).toBe(47);
      expect(automatableAgrees).toBe(45);
      expect(impactAgrees).toBe(44);
    },
  );
});
