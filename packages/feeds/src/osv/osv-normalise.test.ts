import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../../../../test-support/shared-data.ts';
import { normaliseOsv } from './osv-normalise.ts';

const minimal = {
  id: 'OSV-2024-1',
  modified: '2024-01-02T03:04:05Z',
  affected: [
    {
      package: { ecosystem: 'npm', name: 'left-pad', purl: 'pkg:npm/left-pad' },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.3.0' }] }],
    },
  ],
};

function withAffected(affected: unknown): unknown {
  return { ...minimal, affected: [affected] };
}

function rejected(raw: unknown): string {
  const result = normaliseOsv(raw);
  if (result.ok) throw new Error('expected the record to be refused');
  return result.message;
}

describe('normaliseOsv', () => {
  it('fills the defaults of a minimal record', () => {
    const result = normaliseOsv(minimal);
    expect(result).toEqual({
      ok: true,
      advisory: {
        id: 'OSV-2024-1',
        aliases: [],
        related: [],
        source: 'osv',
        modified: '2024-01-02T03:04:05Z',
        severity: [],
        cwes: [],
        references: [],
        affected: [
          {
            ecosystem: 'npm',
            name: 'left-pad',
            purl: 'pkg:npm/left-pad',
            versions: [],
            ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.3.0' }] }],
          },
        ],
      },
    });
  });

  it('keeps GHSA data: aliases, CVSS, CWE ids from database_specific, two ranges for one package', () => {
    const raw: unknown = JSON.parse(
      readFileSync(fixturePath('feed-readers/osv/ghsa/GHSA-xvch-5gv4-984h.json'), 'utf8'),
    );
    const result = normaliseOsv(raw);
    if (!result.ok) throw new Error(result.message);
    const advisory = result.advisory;
    expect(advisory.aliases).toEqual(['CVE-2021-44906']);
    expect(advisory.cwes).toEqual(['CWE-1321']);
    expect(advisory.severity).toEqual([
      { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' },
    ]);
    expect(advisory.affected.map((a) => a.ranges[0]!.events)).toEqual([
      [{ introduced: '1.0.0' }, { fixed: '1.2.6' }],
      [{ introduced: '0' }, { fixed: '0.2.4' }],
    ]);
    expect(advisory.database_specific).toMatchObject({ severity: 'CRITICAL', github_reviewed: true });
    expect(advisory.schema_version).toBe('1.4.0');
    expect(advisory.references).toHaveLength(14);
  });

  it('flattens Ubuntu binaries and keeps the Ubuntu priority and upstream ids', () => {
    const raw: unknown = JSON.parse(
      readFileSync(fixturePath('feed-readers/osv/ubuntu/vunnel__UBUNTU-CVE-2014-9913.json'), 'utf8'),
    );
    const result = normaliseOsv(raw);
    if (!result.ok) throw new Error(result.message);
    const [esm, xenial] = result.advisory.affected;
    expect(esm).toMatchObject({ ecosystem: 'Ubuntu:Pro:14.04:LTS', name: 'unzip', binaries: ['unzip'] });
    expect(xenial!.ranges[0]!.events).toEqual([{ introduced: '0' }, { fixed: '6.0-20ubuntu1.1' }]);
    expect(xenial!.versions).toContain('6.0-20ubuntu1');
    expect(xenial!.ecosystem_specific).toMatchObject({ availability: 'No subscription required' });
    expect(result.advisory.database_specific).toEqual({ ubuntu_priority: 'negligible' });
    expect(result.advisory.upstream).toEqual(['CVE-2014-9913']);
  });

  it('takes the Ubuntu priority from ecosystem_specific when there is no Ubuntu severity', () => {
    const raw: unknown = JSON.parse(
      readFileSync(fixturePath('feed-readers/osv/ubuntu/vulsdataupdate__UBUNTU-CVE-2024-51988.json'), 'utf8'),
    );
    const result = normaliseOsv(raw);
    expect(result.ok && result.advisory.database_specific?.['ubuntu_priority']).toBe('medium');
  });

  it('keeps withdrawn, last_affected, limit, GIT repos and per-affected severity', () => {
    const result = normaliseOsv({
      ...minimal,
      withdrawn: '2024-02-01T00:00:00.123456Z',
      affected: [
        {
          package: { ecosystem: 'PyPI', name: 'x' },
          severity: [{ type: 'CVSS_V4', score: 'CVSS:4.0/AV:N' }],
          ranges: [
            { type: 'ECOSYSTEM', events: [{ introduced: '1' }, { last_affected: '1.4' }, { limit: '2' }] },
            {
              type: 'GIT',
              repo: 'https://example.org/x.git',
              events: [{ introduced: 'abc' }, { fixed: 'def' }],
            },
          ],
          versions: ['1', '1.4'],
        },
      ],
    });
    if (!result.ok) throw new Error(result.message);
    expect(result.advisory.withdrawn).toBe('2024-02-01T00:00:00.123456Z');
    expect(result.advisory.affected[0]!.severity).toEqual([{ type: 'CVSS_V4', score: 'CVSS:4.0/AV:N' }]);
    expect(result.advisory.affected[0]!.ranges[1]).toEqual({
      type: 'GIT',
      repo: 'https://example.org/x.git',
      events: [{ introduced: 'abc' }, { fixed: 'def' }],
    });
  });

  it('drops affected entries without a package (nothing to match) but keeps the record', () => {
    const result = normaliseOsv(
      withAffected({ ranges: [{ type: 'GIT', repo: 'r', events: [{ introduced: 'a' }] }] }),
    );
    expect(result.ok && result.advisory.affected).toEqual([]);
  });

  it.each([
    [[], 'record is not a JSON object'],
    [{ modified: minimal.modified }, 'missing required field `id`'],
    [{ id: 'X-1' }, 'missing required field `modified`'],
    [{ id: 'X-1', modified: 'yesterday' }, 'modified: "yesterday" is not an RFC 3339 date-time'],
    [{ ...minimal, aliases: 'CVE-1' }, 'aliases: must be an array of strings'],
    [
      withAffected({ package: { ecosystem: 'npm', name: 'a' }, ranges: [{ type: 'SEMVER', events: [] }] }),
      'affected[0].ranges[0]: range has no events',
    ],
    [
      withAffected({ package: { ecosystem: 'npm', name: 'a' }, ranges: [{ type: 'SEMVER' }] }),
      'affected[0].ranges[0]: range has no events',
    ],
    [
      withAffected({
        package: { ecosystem: 'npm', name: 'a' },
        ranges: [{ type: 'SEMVER', events: ['1.0'] }],
      }),
      'affected[0].ranges[0].events[0]: event is not an object',
    ],
    [
      withAffected({
        package: { ecosystem: 'npm', name: 'a' },
        ranges: [{ type: 'SEMVER', events: [{ introduced: '0', fixed: '1' }] }],
      }),
      'affected[0].ranges[0].events[0]: event must have exactly one of introduced, fixed, last_affected, limit (has introduced, fixed)',
    ],
    [
      withAffected({
        package: { ecosystem: 'npm', name: 'a' },
        ranges: [{ type: 'SEMVER', events: [{ fixd: '1' }] }],
      }),
      'has fixd',
    ],
    [
      withAffected({
        package: { ecosystem: 'npm', name: 'a' },
        ranges: [{ type: 'SEMVER', events: [{ fixed: '' }] }],
      }),
      'events[0].fixed: must be a non-empty string',
    ],
    [
      withAffected({
        package: { ecosystem: 'npm', name: 'a' },
        ranges: [{ type: 'RANGE', events: [{ fixed: '1' }] }],
      }),
      'must be one of ECOSYSTEM, SEMVER, GIT (got "RANGE")',
    ],
    [
      withAffected({
        package: { ecosystem: 'npm', name: 'a' },
        ranges: [{ type: 'GIT', events: [{ fixed: '1' }] }],
      }),
      'a GIT range needs `repo`',
    ],
    [withAffected({ package: { name: 'a' } }), 'affected[0].package: missing `ecosystem`'],
    [withAffected('npm'), 'affected[0]: is not an object'],
    [
      { ...minimal, severity: [{ type: 'CVSS_V3' }] },
      'severity[0]: must be an object with string `type` and `score`',
    ],
  ])('refuses %j: %s', (raw, message) => {
    expect(rejected(raw)).toContain(message);
  });

  it('names the record in a refusal when its id could be read', () => {
    expect(normaliseOsv({ id: 'GHSA-x', affected: [] })).toEqual({
      ok: false,
      id: 'GHSA-x',
      message: 'missing required field `modified`',
    });
  });
});
