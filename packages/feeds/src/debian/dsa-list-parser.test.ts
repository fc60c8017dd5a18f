import { describe, expect, it } from 'vitest';
import { DsaListParser, parseListDate } from './dsa-list-parser.ts';
import type { DsaParseEvent } from './dsa-list-parser.ts';

function parse(text: string): DsaParseEvent[] {
  const parser = new DsaListParser();
  const events = text.split('\n').flatMap((line, i) => parser.push(line, i + 1));
  return [...events, ...parser.end()];
}

describe('parseListDate', () => {
  it.each([
    ['29 Mar 2023', '2023-03-29'],
    ['02 Jul 2002', '2002-07-02'],
    ['August 26th, 2005', '2005-08-26'],
    ['September 1st, 2006', '2006-09-01'],
    ['May 22nd, 2007', '2007-05-22'],
    ['October 3rd 2008', '2008-10-03'],
  ])('%s -> %s', (text, iso) => {
    expect(parseListDate(text)).toBe(iso);
  });

  it.each(['31 Feb 2023', '2023-03-29', 'Smarch 3rd, 2005', '', '00 Jan 2020'])('refuses %j', (text) => {
    expect(parseListDate(text)).toBeUndefined();
  });
});

describe('DsaListParser', () => {
  it('reads the header, ids, release lines with versions, markers and notes', () => {
    // Written for this test in the list's format; versions and ids are made up.
    const events = parse(
      [
        '[21 Nov 2023] DSA-9001-1 examplepkg - security update',
        '\t{CVE-2023-0001 CVE-2023-0002  CVE-2023-0001}',
        '\t[bookworm] - examplepkg 1:2.0-1~deb12u1',
        '\t[bullseye] - examplepkg <not-affected> (Vulnerable code not present)',
        '        [buster] - examplepkg <unfixed>',
        '\tNOTE: fixed in testing at time of DSA',
        '[August 26th, 2005] DTSA-1-1 kismet - various',
        '\t{ CVE-2005-2626 }',
        '\t[etch] - kismet 2005.08.R1-0.1etch1 (high)',
        '[02 Jul 2002] DSA-135 libapache-mod-ssl -- buffer overflow / DoS',
        '[18 Apr 2018] DSA-4205-1 jessie end-of-life',
      ].join('\n'),
    );
    expect(events).toEqual([
      {
        kind: 'entry',
        entry: {
          id: 'DSA-9001-1',
          line: 1,
          date: '2023-11-21',
          packages: ['examplepkg'],
          summary: 'security update',
          ids: ['CVE-2023-0001', 'CVE-2023-0002'],
          releases: [
            { line: 3, codename: 'bookworm', package: 'examplepkg', version: '1:2.0-1~deb12u1' },
            {
              line: 4,
              codename: 'bullseye',
              package: 'examplepkg',
              marker: 'not-affected',
              note: 'Vulnerable code not present',
            },
            { line: 5, codename: 'buster', package: 'examplepkg', marker: 'unfixed' },
          ],
          notes: ['fixed in testing at time of DSA'],
        },
      },
      {
        kind: 'entry',
        entry: {
          id: 'DTSA-1-1',
          line: 7,
          date: '2005-08-26',
          packages: ['kismet'],
          summary: 'various',
          ids: ['CVE-2005-2626'],
          releases: [
            { line: 9, codename: 'etch', package: 'kismet', version: '2005.08.R1-0.1etch1', note: 'high' },
          ],
          notes: [],
        },
      },
      {
        kind: 'entry',
        entry: {
          id: 'DSA-135',
          line: 10,
          date: '2002-07-02',
          packages: ['libapache-mod-ssl'],
          summary: 'buffer overflow / DoS',
          ids: [],
          releases: [],
          notes: [],
        },
      },
      {
        kind: 'entry',
        entry: {
          id: 'DSA-4205-1',
          line: 11,
          date: '2018-04-18',
          packages: [],
          summary: 'jessie end-of-life',
          ids: [],
          releases: [],
          notes: [],
        },
      },
    ]);
  });

  it('splits a header that names several packages', () => {
    const [event] = parse('[09 Oct 2009] DSA-1895-2 opensaml2, shibboleth-sp2 - interpretation conflict');
    expect(event).toMatchObject({
      entry: { packages: ['opensaml2', 'shibboleth-sp2'], summary: 'interpretation conflict' },
    });
  });

  it('reports what it cannot read, with line numbers, and skips the body of a refused header', () => {
    const events = parse(
      [
        '\t[bookworm] - orphan 1.0',
        '[32 Foo 2023] DSA-9002-1 broken - date',
        '\t[bookworm] - broken 1.0',
        'garbage line',
        '[01 Jan 2024] DSA-9003-1 ok - security update',
        '\t{CVE-2024-1 #123}',
        '\t[bookworm] - ok',
        '\tsomething else',
        '\t{CVE-2024-2',
      ].join('\n'),
    );
    expect(events.filter((e) => e.kind === 'problem')).toEqual([
      { kind: 'problem', line: 1, message: 'indented line before the first advisory' },
      { kind: 'problem', line: 2, record: 'DSA-9002-1', message: 'unrecognised date "[32 Foo 2023]"' },
      { kind: 'problem', line: 4, message: 'not an advisory header: "garbage line"' },
      { kind: 'problem', line: 6, record: 'DSA-9003-1', message: '"#123" is not an id' },
      { kind: 'problem', line: 7, record: 'DSA-9003-1', message: '[bookworm] ok: no version or <marker>' },
      { kind: 'problem', line: 8, record: 'DSA-9003-1', message: 'unrecognised line: "something else"' },
      { kind: 'problem', line: 9, record: 'DSA-9003-1', message: 'unterminated {…} id list' },
    ]);
    expect(events.filter((e) => e.kind === 'entry').map((e) => e.kind === 'entry' && e.entry.id)).toEqual([
      'DSA-9003-1',
    ]);
  });
});
