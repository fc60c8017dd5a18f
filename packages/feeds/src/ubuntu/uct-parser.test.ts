import { describe, expect, it } from 'vitest';
import { parseUctFile } from './uct-parser.ts';
import { UCT_BROKEN, UCT_SAMPLE } from './uct-sample.test-data.ts';

const MODIFIED = '2099-06-18T13:40:00.000Z';

describe('parseUctFile', () => {
  it('turns each release line into an affected entry by status', () => {
    const { advisory, problems } = parseUctFile(UCT_SAMPLE, {
      expectedId: 'CVE-2099-0001',
      modified: MODIFIED,
    });
    expect(problems).toEqual([]);
    expect(advisory).toBeDefined();
    const a = advisory!;
    expect(a).toMatchObject({
      id: 'CVE-2099-0001',
      source: 'ubuntu-uct',
      aliases: [],
      modified: MODIFIED,
      published: '2099-03-10T20:15:00Z',
      details: 'A first line of the description and its continuation. A second paragraph after a blank line.',
    });
    expect(a.severity).toEqual([
      { type: 'Ubuntu', score: 'medium' },
      { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N' },
      { type: 'CVSS_V2', score: 'AV:N/AC:L/Au:N/C:P/I:P/A:P' },
    ]);
    expect(a.references).toEqual([
      { type: 'ADVISORY', url: 'https://ubuntu.com/security/CVE-2099-0001' },
      { type: 'WEB', url: 'https://cve.example.org/CVE-2099-0001' },
      { type: 'WEB', url: 'https://example.org/advisory' },
      { type: 'REPORT', url: 'https://bugs.example.org/1' },
    ]);
    expect(a.affected.map((p) => [p.ecosystem, p.name, p.ranges[0]!.events, p.database_specific])).toEqual([
      ['Ubuntu:Pro:14.04:LTS', 'libexample', [{ introduced: '0' }], { ubuntu_status: 'needed' }],
      [
        'Ubuntu:16.04:LTS',
        'libexample',
        [{ introduced: '0' }],
        { ubuntu_status: 'deferred', ubuntu_note: '2099-01-01' },
      ],
      [
        'Ubuntu:18.04:LTS',
        'libexample',
        [{ introduced: '0' }, { fixed: '1.2.0-1ubuntu0.1' }],
        { ubuntu_status: 'released', ubuntu_note: '1.2.0-1ubuntu0.1' },
      ],
      [
        'Ubuntu:20.04:LTS',
        'libexample',
        [{ introduced: '0' }, { fixed: '1.2.0-1ubuntu0.2~esm1' }],
        { ubuntu_status: 'released-esm', ubuntu_note: '1.2.0-1ubuntu0.2~esm1' },
      ],
      [
        'Ubuntu:20.10',
        'libexample',
        [{ introduced: '0' }],
        { ubuntu_status: 'pending', ubuntu_note: '1.2.3-2' },
      ],
      ['Ubuntu:18.04:LTS', 'other', [{ introduced: '0' }], { ubuntu_status: 'needs-triage' }],
      ['Ubuntu:20.04:LTS', 'other', [{ introduced: '0' }], { ubuntu_status: 'active' }],
    ]);
    expect(a.affected[1]!.severity).toEqual([{ type: 'Ubuntu', score: 'high' }]);
    expect(a.affected[2]!.severity).toBeUndefined();
    expect(a.database_specific).toEqual({
      ubuntu_priority: 'medium',
      notes: 'alice> the fix needs\na backport\nbob| second note',
      ubuntu_ignored: [
        { ecosystem: 'Ubuntu:14.04:LTS', name: 'libexample', note: 'out of standard support' },
      ],
    });
  });

  it('reports malformed lines with their numbers and keeps what it can read', () => {
    const { advisory, problems } = parseUctFile(UCT_BROKEN, {
      expectedId: 'CVE-2099-0003',
      modified: MODIFIED,
    });
    expect(problems).toEqual([
      { line: 1, message: 'Candidate CVE-2099-0002 does not match the file name CVE-2099-0003' },
      { line: 2, message: 'PublicDate "sometime" is not a date' },
      { line: 6, message: 'not a "Field: value" line: "-- Tags_x: universe-binary"' },
      { line: 8, message: 'bionic_x: unknown status "fixed (1.0)"' },
      { line: 9, message: 'focal_x: "released" without a fixed version' },
      { line: 10, message: 'unknown Ubuntu release "narnia"; its lines are skipped' },
      { line: 12, message: 'duplicate field "jammy_x" (first at line 11); kept the first' },
    ]);
    expect(advisory!.id).toBe('CVE-2099-0002');
    expect(advisory!.affected.map((p) => [p.ecosystem, p.ranges[0]!.events])).toEqual([
      ['Ubuntu:22.04:LTS', [{ introduced: '0' }, { fixed: '1.0-1' }]],
    ]);
    expect(advisory!.severity).toEqual([{ type: 'Ubuntu', score: 'negligible' }]);
  });

  it('gives no advisory for a file without a usable Candidate', () => {
    expect(parseUctFile('Candidate:\nPriority: untriaged\n', { modified: MODIFIED })).toEqual({
      problems: [{ line: 1, message: 'Candidate "" is not a CVE id' }],
    });
    expect(parseUctFile('', { modified: MODIFIED })).toEqual({
      problems: [{ line: undefined, message: 'no Candidate field' }],
    });
  });
});
