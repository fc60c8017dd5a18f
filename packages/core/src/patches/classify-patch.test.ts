import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { fixturePath, sharedDataPath } from '../../../../test-support/shared-data.ts';
import { PatchwardenError } from '../errors/errors.ts';
import type { Advisory, AffectedPackage, Reference } from '../intel/advisory.ts';
import type { ClassificationRule } from './classification-rules.ts';
import { DEFAULT_CLASSIFICATION_RULES } from './classification-rules.ts';
import { classifyPatch, createPatchClassifier, patchAdvisoryOf } from './classify-patch.ts';
import type {
  PatchAdvisory,
  PatchCandidate,
  PatchClassification,
  PatchTypeOverride,
} from './classify-patch.ts';
import type { PatchType } from './patch-type.ts';

function patch(
  advisories: PatchAdvisory[],
  packageName = 'openssl',
  ecosystem = 'AlmaLinux:9',
): PatchCandidate {
  return { ecosystem, packageName, fixedVersion: '1:3.0.7-27.el9', advisories };
}

function ruleOf(result: PatchClassification): [PatchType | null, string | undefined] {
  return [result.type, result.ruleMatch?.ruleId];
}

describe('classifyPatch with the default rules', () => {
  const cases: [string, PatchCandidate, PatchType, string][] = [
    [
      'an AlmaLinux security erratum',
      patch([{ id: 'ALSA-2024:1903', summary: 'Important: shim bug fix update' }]),
      'security',
      'security-advisory-id',
    ],
    [
      'a GHSA',
      patch([{ id: 'GHSA-jf85-cpcp-j695', summary: 'Prototype Pollution in lodash' }], 'lodash', 'npm'),
      'security',
      'security-advisory-id',
    ],
    ['a Debian DSA', patch([{ id: 'DSA-5678-1' }], 'glibc', 'Debian:12'), 'security', 'security-advisory-id'],
    [
      'an Ubuntu USN',
      patch([{ id: 'USN-7095-1' }], 'linux', 'Ubuntu:22.04:LTS'),
      'security',
      'security-advisory-id',
    ],
    [
      'a CVE record',
      patch([{ id: 'CVE-2024-4577' }], 'php', 'Debian:12'),
      'security',
      'security-advisory-id',
    ],
    [
      'a tzdata erratum (regulatory, before the vendor type)',
      patch([{ id: 'RHEA-2024:1234', summary: 'tzdata enhancement update' }], 'tzdata'),
      'regulatory',
      'tzdata-package',
    ],
    [
      'a time zone summary on another package',
      patch(
        [{ id: 'RHBA-2024:2', summary: 'java-17-openjdk bug fix update for time zone rules' }],
        'java-17-openjdk',
      ),
      'regulatory',
      'time-zone-summary',
    ],
    [
      'langpacks',
      patch([{ id: 'RHBA-2024:3', summary: 'glibc-langpacks: new translations' }], 'glibc-langpack-de'),
      'localization',
      'localization-summary',
    ],
    [
      'performance',
      patch([{ id: 'RHEA-2024:4', summary: 'kernel performance enhancement update' }], 'kernel'),
      'performance',
      'performance-summary',
    ],
    [
      'compatibility',
      patch([{ id: 'RHBA-2024:5', summary: 'libfoo: restore ABI compatibility' }], 'libfoo'),
      'compatibility',
      'compatibility-summary',
    ],
    [
      'a compat-* package bug fix (not compatibility)',
      patch([{ id: 'RHBA-2024:6', summary: 'compat-openssl11 bug fix update' }], 'compat-openssl11'),
      'bugfix',
      'vendor-bugfix-id',
    ],
    [
      'an AlmaLinux bug fix erratum',
      patch(
        [{ id: 'ALBA-2022:8256', summary: 'Important: qatzip bug fix and enhancement update' }],
        'qatzip',
      ),
      'bugfix',
      'vendor-bugfix-id',
    ],
    [
      'an AlmaLinux enhancement erratum',
      patch([{ id: 'ALEA-2023:0001', summary: 'python3.11 enhancement update' }], 'python3.11'),
      'feature',
      'vendor-enhancement-id',
    ],
    [
      'an advisory naming a CVE',
      patch([{ id: 'FEDORA-2024-abc', cves: ['CVE-2024-1'] }], 'curl', 'Fedora'),
      'security',
      'cve-referenced',
    ],
    [
      'an advisory aliased to a CVE',
      patch([{ id: 'FEDORA-2024-abd', aliases: ['CVE-2024-2'] }], 'curl', 'Fedora'),
      'security',
      'cve-referenced',
    ],
    [
      'security wording',
      patch([{ id: 'VENDOR-1', summary: 'Fixes a vulnerability in the parser' }], 'x', 'npm'),
      'security',
      'security-summary',
    ],
    [
      'bug fix wording',
      patch([{ id: 'VENDOR-2', summary: 'Bugfix release' }], 'x', 'npm'),
      'bugfix',
      'bugfix-summary',
    ],
    [
      'enhancement wording',
      patch([{ id: 'VENDOR-3', summary: 'Adds a new feature' }], 'x', 'npm'),
      'feature',
      'enhancement-summary',
    ],
    ['an update with no advisory', patch([], 'x', 'npm'), 'bugfix', 'fallback-bugfix'],
  ];
  for (const [name, candidate, type, ruleId] of cases) {
    it(`classifies ${name} as ${type} by ${ruleId}`, () => {
      expect(ruleOf(classifyPatch(candidate))).toEqual([type, ruleId]);
    });
  }

  it('lets the first matching rule win across advisories, and says which advisory matched', () => {
    const result = classifyPatch(
      patch([
        { id: 'ALBA-2024:1', summary: 'openssl bug fix update' },
        { id: 'ALSA-2024:2', summary: 'Important: openssl security update' },
      ]),
    );
    expect(result).toMatchObject({ type: 'security', appliedBy: 'rule', override: null });
    expect(result.ruleMatch).toEqual({
      type: 'security',
      ruleId: 'security-advisory-id',
      advisoryId: 'ALSA-2024:2',
    });
    expect(result.explanation).toBe(
      'rule security-advisory-id (Security advisory ids: CVE, GHSA, PYSEC, GO, RUSTSEC, ALSA, RHSA, DSA, DLA, USN, ALAS, SUSE-SU...) matched on advisory ALSA-2024:2: security',
    );
  });
});

describe('classifyPatch with user rules', () => {
  it('requires all advisory conditions to hold on one and the same advisory', () => {
    const rules: ClassificationRule[] = [
      {
        id: 'cve-bugfix',
        description: 'bug fix errata that fix a CVE',
        when: { advisoryIdPattern: '^ALBA-', hasCve: true },
        type: 'security',
      },
    ];
    const split = patch([{ id: 'ALBA-1' }, { id: 'ALSA-2', cves: ['CVE-2024-1'] }]);
    expect(classifyPatch(split, { rules })).toMatchObject({ type: null, appliedBy: 'none', ruleMatch: null });
    const joined = patch([{ id: 'ALBA-1', cves: ['CVE-2024-1'] }]);
    expect(ruleOf(classifyPatch(joined, { rules }))).toEqual(['security', 'cve-bugfix']);
  });

  it('matches ecosystems exactly or by base, packages by pattern, severities at or above a level', () => {
    const rules: ClassificationRule[] = [
      {
        id: 'alma-kernel',
        description: '',
        when: { ecosystem: 'almalinux', packagePattern: '^kernel' },
        type: 'feature',
      },
      {
        id: 'high-npm',
        description: '',
        when: { ecosystem: 'npm', severityAtLeast: 'high' },
        type: 'security',
      },
      { id: 'no-cve', description: '', when: { hasCve: false }, type: 'performance' },
    ];
    expect(ruleOf(classifyPatch(patch([], 'kernel-core'), { rules }))).toEqual(['feature', 'alma-kernel']);
    expect(
      classifyPatch(patch([], 'kernel-core', 'AlmaLinux:9'), { rules }).ruleMatch?.advisoryId,
    ).toBeNull();
    expect(
      ruleOf(classifyPatch(patch([{ id: 'X-1', severity: 'critical' }], 'a', 'npm'), { rules })),
    ).toEqual(['security', 'high-npm']);
    expect(ruleOf(classifyPatch(patch([{ id: 'X-1', severity: 'medium' }], 'a', 'npm'), { rules }))).toEqual([
      'performance',
      'no-cve',
    ]);
    // An advisory of unknown severity is not "at least high".
    expect(ruleOf(classifyPatch(patch([{ id: 'X-1', cves: ['CVE-1'] }], 'a', 'npm'), { rules }))).toEqual([
      null,
      undefined,
    ]);
  });
});

describe('classifyPatch with a manual override', () => {
  const override: PatchTypeOverride = {
    type: 'regulatory',
    by: 'alice',
    reason: 'PCI DSS requirement 6.3.3',
    at: '2025-01-15T10:00:00Z',
  };

  it('applies the override and keeps what the rules said, for the audit trail', () => {
    const result = classifyPatch(patch([{ id: 'ALBA-2022:8256', summary: 'qatzip bug fix' }], 'qatzip'), {
      override,
    });
    expect(result.type).toBe('regulatory');
    expect(result.appliedBy).toBe('override');
    expect(result.override).toEqual(override);
    expect(result.ruleMatch).toEqual({
      type: 'bugfix',
      ruleId: 'vendor-bugfix-id',
      advisoryId: 'ALBA-2022:8256',
    });
    expect(result.explanation).toMatch(
      /^overridden to regulatory by alice at 2025-01-15T10:00:00Z \(PCI DSS requirement 6.3.3\); the rules gave: rule vendor-bugfix-id/,
    );
  });

  it('refuses an incomplete override, naming the field and the patch', () => {
    const cases: [Partial<PatchTypeOverride>, string][] = [
      [{ by: '' }, 'override.by'],
      [{ reason: ' ' }, 'override.reason'],
      [{ at: '15/01/2025' }, 'override.at'],
      [{ at: 1736935200000 as unknown as string }, 'override.at'],
      [{ type: 'hotfix' as PatchType }, 'override.type'],
    ];
    for (const [change, field] of cases) {
      try {
        classifyPatch(patch([], 'qatzip'), { override: { ...override, ...change } });
        expect.unreachable(field);
      } catch (error) {
        expect(error).toBeInstanceOf(PatchwardenError);
        expect((error as PatchwardenError).details).toMatchObject({
          field,
          record: 'AlmaLinux:9/qatzip@1:3.0.7-27.el9',
        });
      }
    }
  });

  it('refuses a malformed patch', () => {
    expect(() => classifyPatch({ ...patch([]), packageName: '' })).toThrow(/packageName/);
    expect(() => classifyPatch(patch([{ id: '' }]))).toThrow(/advisories\[0\]\.id/);
    expect(() => classifyPatch(patch([{ id: 'X', severity: 'severe' as 'high' }]))).toThrow(
      /advisories\[0\]\.severity/,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Real advisories

interface RawOsv {
  id: string;
  summary?: string;
  aliases?: string[];
  related?: string[];
  upstream?: string[];
  references?: Reference[];
  affected?: { package: { ecosystem: string; name: string } }[];
}

function advisoryOf(raw: RawOsv): Advisory {
  const affected: AffectedPackage[] = (raw.affected ?? []).map((a) => ({
    ecosystem: a.package.ecosystem,
    name: a.package.name,
    ranges: [],
    versions: [],
  }));
  const advisory: Advisory = {
    id: raw.id,
    aliases: raw.aliases ?? [],
    related: raw.related ?? [],
    source: 'osv',
    modified: '',
    severity: [],
    cwes: [],
    affected,
    references: raw.references ?? [],
  };
  if (raw.upstream) advisory.upstream = raw.upstream;
  if (raw.summary !== undefined) advisory.summary = raw.summary;
  return advisory;
}

function readJsonl(bytes: Buffer): RawOsv[] {
  return bytes
    .toString('utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as RawOsv);
}

interface Distribution {
  advisories: number;
  patches: number;
  byPrefix: Record<string, Record<string, number>>;
  byType: Record<string, number>;
  byRule: Record<string, number>;
  bugfixWithCve: string[];
}

/** One patch per affected package of each advisory, as a rollout would see them. */
function classifyFeed(records: RawOsv[]): Distribution {
  const classifier = createPatchClassifier(DEFAULT_CLASSIFICATION_RULES);
  const distribution: Distribution = {
    advisories: 0,
    patches: 0,
    byPrefix: {},
    byType: {},
    byRule: {},
    bugfixWithCve: [],
  };
  for (const raw of records) {
    const advisory = advisoryOf(raw);
    const view = patchAdvisoryOf(advisory);
    distribution.advisories++;
    const prefix = raw.id.split('-')[0] as string;
    const packages =
      advisory.affected.length > 0 ? advisory.affected : [{ ecosystem: 'unknown', name: 'unknown' }];
    let advisoryType: string | undefined;
    for (const affected of packages) {
      const result = classifier.classify({
        ecosystem: affected.ecosystem,
        packageName: affected.name,
        fixedVersion: 'fixed',
        advisories: [view],
      });
      distribution.patches++;
      const type = String(result.type);
      if (advisoryType !== undefined && advisoryType !== type) advisoryType = 'mixed';
      else advisoryType = type;
      const rule = result.ruleMatch?.ruleId ?? 'none';
      distribution.byRule[rule] = (distribution.byRule[rule] ?? 0) + 1;
    }
    const type = advisoryType ?? 'none';
    distribution.byType[type] = (distribution.byType[type] ?? 0) + 1;
    const row = (distribution.byPrefix[prefix] ??= {});
    row[type] = (row[type] ?? 0) + 1;
    if (type === 'bugfix' && (view.cves?.length ?? 0) > 0)
      distribution.bugfixWithCve.push(`${raw.id} (${view.cves?.join(', ')})`);
  }
  return distribution;
}

describe('classifying real feeds', () => {
  const alma = readJsonl(gunzipSync(readFileSync(fixturePath('feeds/almalinux9-osv.jsonl.gz'))));

  it('classifies the AlmaLinux 9 OSV feed: ALSA security, ALBA bug fix (no ALEA in the feed)', () => {
    const d = classifyFeed(alma);
    console.log(
      `[patch types] AlmaLinux 9: ${d.advisories} advisories, ${d.patches} package patches; by prefix ${JSON.stringify(d.byPrefix)}; ` +
        `patches by rule ${JSON.stringify(d.byRule)}; bug-fix errata that name CVEs: ${d.bugfixWithCve.join('; ')}`,
    );
    expect(d.advisories).toBe(1783);
    expect(d.byPrefix).toEqual({ ALSA: { security: 1780 }, ALBA: { bugfix: 3 } });
    expect(d.byType).toEqual({ security: 1780, bugfix: 3 });
    expect(Object.keys(d.byRule).sort()).toEqual(['security-advisory-id', 'vendor-bugfix-id']);
    // AlmaLinux's OSV feed lists an ALBA only when it fixes a CVE; two of the three name theirs.
    expect(d.bugfixWithCve.map((s) => s.split(' ')[0])).toEqual(['ALBA-2022:8256', 'ALBA-2025:20841']);
  });

  it('reads vendor severities and CVEs from the real errata (summary prefix, CVE references)', () => {
    const qatzip = patchAdvisoryOf(advisoryOf(alma.find((r) => r.id === 'ALBA-2022:8256') as RawOsv));
    expect(qatzip).toMatchObject({ id: 'ALBA-2022:8256', severity: 'high', cves: ['CVE-2022-36369'] });
    const shim = patchAdvisoryOf(advisoryOf(alma.find((r) => r.id === 'ALSA-2024:1903') as RawOsv));
    expect(shim.summary).toBe('Important: shim bug fix update');
    expect(shim.cves).toHaveLength(6);
  });

  it('classifies every Go vulndb and PyPA advisory, and the committed GHSA records, as security', () => {
    const go = classifyFeed(
      readJsonl(gunzipSync(readFileSync(fixturePath('feeds/golang-vulndb-osv.jsonl.gz')))),
    );
    const pypa = classifyFeed(
      readJsonl(gunzipSync(readFileSync(fixturePath('feeds/pypa-advisory-database-osv.jsonl.gz')))),
    );
    const ghsa = classifyFeed(
      ['GHSA-jf85-cpcp-j695.json', 'GHSA-xvch-5gv4-984h.json'].map(
        (name) => JSON.parse(readFileSync(fixturePath(`feeds/${name}`), 'utf8')) as RawOsv,
      ),
    );
    console.log(
      `[patch types] Go vulndb ${go.advisories} advisories / ${go.patches} patches ${JSON.stringify(go.byType)}; ` +
        `PyPA ${pypa.advisories} / ${pypa.patches} ${JSON.stringify(pypa.byType)}; GHSA ${JSON.stringify(ghsa.byType)}`,
    );
    expect(go.byType).toEqual({ security: 4291 });
    expect(pypa.byType).toEqual({ security: 2661 });
    expect(ghsa.byType).toEqual({ security: 2 });
  });

  const shared = sharedDataPath('osv-distro/almalinux9-osv.jsonl');
  it.skipIf(!shared)('gives the same distribution on the shared copy of the AlmaLinux feed', () => {
    const d = classifyFeed(readJsonl(readFileSync(shared as string)));
    expect(d.byPrefix).toEqual({ ALSA: { security: 1780 }, ALBA: { bugfix: 3 } });
  });
});
