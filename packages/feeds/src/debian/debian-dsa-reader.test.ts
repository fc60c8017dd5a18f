import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { PatchwardenError } from '@patchwarden/core';
import { sharedDataPath } from '../../../../test-support/shared-data.ts';
import {
  advisoriesOf,
  collect,
  damaged,
  issuesOf,
  readHostile,
  tempDir,
} from '../feed-input/test-support.ts';
import { debianDsaReader } from './debian-dsa-reader.ts';

/** In the format of data/DSA/list; written for these tests (packages, ids and versions made up). */
const SAMPLE = `[21 Nov 2023] DSA-9001-1 examplepkg - security update
\t{CVE-2023-0001 CVE-2023-0002}
\t[bookworm] - examplepkg 115.5.0esr-1~deb12u1
\t[bullseye] - examplepkg 115.5.0esr-1~deb11u1
\t[sid] - examplepkg 115.5.0esr-1
[20 Nov 2023] DSA-9000-2 otherpkg - regression update
\t[bookworm] - otherpkg 2:1.0-1+deb12u2
\t[bullseye] - otherpkg <not-affected> (Vulnerable code not present)
\t[buster] - otherpkg <end-of-life>
\t[hamm] - otherpkg <wontfix>
\t[narnia] - otherpkg 1.0
\tNOTE: not fixed in testing at time of DSA
[02 Jul 2002] DSA-135 libapache-mod-ssl -- buffer overflow / DoS
\t{CVE-2002-0653}
\t[woody] - libapache-mod-ssl 2.8.9-2
`;

const tmp = tempDir('debian-dsa');
afterAll(() => tmp.cleanup());

describe('debianDsaReader', () => {
  it('turns each DSA into an advisory: CVEs as aliases, the date, a fix per release', async () => {
    const path = tmp.file('list', SAMPLE);
    const records = await collect(debianDsaReader, path);
    const [first, second, third] = advisoriesOf(records);
    expect(first).toEqual({
      id: 'DSA-9001-1',
      aliases: ['CVE-2023-0001', 'CVE-2023-0002'],
      related: [],
      source: 'debian-dsa',
      modified: '2023-11-21T00:00:00Z',
      published: '2023-11-21T00:00:00Z',
      summary: 'security update',
      severity: [],
      cwes: [],
      references: [{ type: 'ADVISORY', url: 'https://security-tracker.debian.org/tracker/DSA-9001-1' }],
      database_specific: { packages: ['examplepkg'] },
      affected: [
        {
          ecosystem: 'Debian:12',
          name: 'examplepkg',
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '115.5.0esr-1~deb12u1' }] }],
          versions: [],
        },
        {
          ecosystem: 'Debian:11',
          name: 'examplepkg',
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '115.5.0esr-1~deb11u1' }] }],
          versions: [],
        },
      ],
    });
    expect(second!.aliases).toEqual([]);
    expect(second!.affected.map((p) => [p.ecosystem, p.ranges[0]!.events, p.database_specific])).toEqual([
      ['Debian:12', [{ introduced: '0' }, { fixed: '2:1.0-1+deb12u2' }], undefined],
      ['Debian:10', [{ introduced: '0' }], { status: 'end-of-life' }],
    ]);
    expect(second!.database_specific).toEqual({
      packages: ['otherpkg'],
      notes: ['not fixed in testing at time of DSA'],
      not_affected: [{ ecosystem: 'Debian:11', name: 'otherpkg', note: 'Vulnerable code not present' }],
    });
    expect(third!.affected[0]).toMatchObject({ ecosystem: 'Debian:3.0', name: 'libapache-mod-ssl' });
    expect(issuesOf(records)).toEqual([
      { file: path, line: 10, record: 'DSA-9000-2', message: '[hamm] otherpkg: unknown marker <wontfix>' },
      {
        file: path,
        line: 11,
        record: 'DSA-9000-2',
        message: 'unknown Debian release "narnia"; its lines are skipped',
      },
    ]);
  });

  it('reads a gzipped list, honours `since` and sniffs the format', async () => {
    const path = tmp.file('list.gz', gzipSync(SAMPLE));
    const ids = async (since?: string) =>
      advisoriesOf(await collect(debianDsaReader, path, since === undefined ? {} : { since })).map(
        (a) => a.id,
      );
    expect(await ids()).toEqual(['DSA-9001-1', 'DSA-9000-2', 'DSA-135']);
    expect(await ids('2023-11-20T00:00:00Z')).toEqual(['DSA-9001-1']);
    expect(debianDsaReader.sniff('data/DSA/list', SAMPLE)).toBe(true);
    expect(debianDsaReader.sniff('CVE-2020-1', 'Candidate: CVE-2020-1\n')).toBe(false);
  });

  it('never hangs or throws anything but a PatchwardenError on damaged input', async () => {
    await fc.assert(
      fc.asyncProperty(damaged(Buffer.from(SAMPLE)), fc.boolean(), async (bytes, gzip) => {
        const path = tmp.file('damaged-list', gzip ? gzipSync(bytes) : bytes);
        const outcome = await readHostile(debianDsaReader, path);
        if (outcome instanceof PatchwardenError) return;
        for (const record of outcome)
          if (record.kind === 'issue') expect(record.issue.line).toBeGreaterThan(0);
      }),
      { numRuns: 80 },
    );
  });
});

describe('debianDsaReader on the real lists in ../shared/data', () => {
  const dsa = sharedDataPath('advisories-debian/security-tracker-DSA-list.txt');
  it.skipIf(!dsa)('reads all 5,406 DSAs (DSA-135 to DSA-5380-1) without an issue', async () => {
    const records = await collect(debianDsaReader, dsa!);
    expect(issuesOf(records)).toEqual([]);
    const advisories = advisoriesOf(records);
    expect(advisories).toHaveLength(5406);
    expect(advisories[0]!.id).toBe('DSA-5380-1');
    expect(advisories.at(-1)!.id).toBe('DSA-135');
    // 6,988 release lines: 6,926 with a version, 7 <unfixed>/<end-of-life>, 55 <not-affected>.
    const affected = advisories.flatMap((a) => a.affected);
    expect(affected).toHaveLength(6933);
    expect(affected.filter((p) => p.ranges[0]!.events.length === 1)).toHaveLength(7);
    const notAffected = advisories.flatMap(
      (a) => (a.database_specific?.['not_affected'] as unknown[] | undefined) ?? [],
    );
    expect(notAffected).toHaveLength(55);
    // CVE ids named in {…} lines; three more appear only in NOTE text and are not aliases.
    expect(new Set(advisories.flatMap((a) => a.aliases)).size).toBe(14767);
    const xorg = advisories[0]!;
    expect(xorg).toMatchObject({ aliases: ['CVE-2023-1393'], published: '2023-03-29T00:00:00Z' });
    expect(xorg.affected).toEqual([
      {
        ecosystem: 'Debian:11',
        name: 'xorg-server',
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2:1.20.11-1+deb11u6' }] }],
        versions: [],
      },
    ]);
  });

  const dla = sharedDataPath('advisories-debian/security-tracker-DLA-list.txt');
  it.skipIf(!dla)('reads all 3,534 DLAs, squeeze to buster', async () => {
    const advisories = advisoriesOf(await collect(debianDsaReader, dla!));
    expect(advisories).toHaveLength(3534);
    const perRelease = new Map<string, number>();
    for (const p of advisories.flatMap((a) => a.affected))
      perRelease.set(p.ecosystem, (perRelease.get(p.ecosystem) ?? 0) + 1);
    expect(Object.fromEntries(perRelease)).toEqual({
      'Debian:10': 322,
      'Debian:9': 828,
      'Debian:8': 928,
      'Debian:7': 986,
      'Debian:6.0': 471,
    });
    expect(advisories.find((a) => a.id === 'DLA-3377-1')!.affected[0]).toMatchObject({
      name: 'systemd',
      ranges: [{ events: [{ introduced: '0' }, { fixed: '241-7~deb10u9' }] }],
    });
  });

  const dtsa = sharedDataPath('advisories-debian/security-tracker-DTSA-list.txt');
  it.skipIf(!dtsa)('reads all 208 DTSAs with their spelled-out dates', async () => {
    const advisories = advisoriesOf(await collect(debianDsaReader, dtsa!));
    expect(advisories).toHaveLength(208);
    const kismet = advisories.find((a) => a.id === 'DTSA-1-1')!;
    expect(kismet.published).toBe('2005-08-26T00:00:00Z');
    expect(kismet.affected[0]!.database_specific).toEqual({ note: 'high' });
    expect(readFileSync(dtsa!, 'utf8')).toContain('[August 26th, 2005] DTSA-1-1');
  });
});
