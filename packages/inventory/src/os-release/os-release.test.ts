import { existsSync, readFileSync } from 'node:fs';
import { osEcosystem } from '@patchwarden/core';
import { describe, expect, it } from 'vitest';
import { parseOsRelease } from './os-release.ts';

/** os-release files as the distributions ship them (abridged; short enough to write out). */
const UBUNTU_2204 = `PRETTY_NAME="Ubuntu 22.04.4 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.4 LTS (Jammy Jellyfish)"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
HOME_URL="https://www.ubuntu.com/"
UBUNTU_CODENAME=jammy
`;

const ALMA_94 = `NAME="AlmaLinux"
VERSION="9.4 (Seafoam Ocelot)"
ID="almalinux"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.4"
PLATFORM_ID="platform:el9"
PRETTY_NAME="AlmaLinux 9.4 (Seafoam Ocelot)"
ANSI_COLOR="0;34"
CPE_NAME="cpe:/o:almalinux:almalinux:9::baseos"
`;

const ALPINE_319 = `NAME="Alpine Linux"
ID=alpine
VERSION_ID=3.19.1
PRETTY_NAME="Alpine Linux v3.19"
HOME_URL="https://alpinelinux.org/"
`;

const DEBIAN_TESTING = `PRETTY_NAME="Debian GNU/Linux trixie/sid"
NAME="Debian GNU/Linux"
VERSION_CODENAME=trixie
ID=debian
`;

const LEAP_155 = `NAME="openSUSE Leap"
VERSION="15.5"
ID="opensuse-leap"
ID_LIKE="suse opensuse"
VERSION_ID="15.5"
PRETTY_NAME="openSUSE Leap 15.5"
`;

describe('parseOsRelease', () => {
  it.each([
    [
      'Ubuntu 22.04',
      UBUNTU_2204,
      { id: 'ubuntu', versionId: '22.04', versionCodename: 'jammy', idLike: ['debian'] },
      'Ubuntu:22.04:LTS',
    ],
    [
      'AlmaLinux 9.4',
      ALMA_94,
      { id: 'almalinux', versionId: '9.4', idLike: ['rhel', 'centos', 'fedora'] },
      'AlmaLinux:9',
    ],
    [
      'Alpine 3.19',
      ALPINE_319,
      { id: 'alpine', versionId: '3.19.1', prettyName: 'Alpine Linux v3.19' },
      'Alpine:v3.19',
    ],
    ['Debian testing', DEBIAN_TESTING, { id: 'debian', versionCodename: 'trixie' }, 'Debian:13'],
    [
      'openSUSE Leap 15.5',
      LEAP_155,
      { id: 'opensuse-leap', prettyName: 'openSUSE Leap 15.5' },
      'openSUSE:Leap 15.5',
    ],
  ])('%s', (_name, text, expected, ecosystem) => {
    const fragment = parseOsRelease(text, 'os-release');
    expect(fragment.format).toBe('os-release');
    expect(fragment.packages).toEqual([]);
    expect(fragment.warnings).toEqual([]);
    expect(fragment.os).toMatchObject(expected);
    expect(osEcosystem(fragment.os!)).toBe(ecosystem);
  });

  it('follows shell quoting: escapes in double quotes, literal single quotes, concatenation, comments', () => {
    const text = [
      '# a comment',
      'NAME="Say \\"hi\\" \\$HOME \\\\ end"',
      "PRETTY_NAME='single $HOME \\n'",
      'ID=F"o"\'o\' # trailing comment',
      'VERSION_ID=1\\ 2',
      'VARIANT="unterminated',
      'this is not an assignment',
      '',
    ].join('\n');
    const fragment = parseOsRelease(text, 'os-release');
    expect(fragment.os).toMatchObject({
      id: 'foo',
      versionId: '1 2',
      name: 'Say "hi" $HOME \\ end',
      prettyName: 'single $HOME \\n',
    });
    expect(fragment.warnings).toEqual([
      'line 6: VARIANT: unterminated double quote',
      'line 7: not a KEY=value assignment, ignored',
    ]);
  });

  it('assumes ID=linux, as os-release(5) says, when ID is missing', () => {
    const fragment = parseOsRelease('NAME=Something\n', 'os-release');
    expect(fragment.os).toEqual({ id: 'linux', idLike: [], name: 'Something' });
    expect(fragment.warnings).toEqual(['no ID= line; assuming ID=linux']);
  });

  it.skipIf(!existsSync('/etc/os-release'))('reads this machine’s /etc/os-release', () => {
    const fragment = parseOsRelease(readFileSync('/etc/os-release', 'utf8'), '/etc/os-release');
    console.info(`[os-release] this machine: ${JSON.stringify(fragment.os)} -> ${osEcosystem(fragment.os!)}`);
    expect(fragment.warnings).toEqual([]);
    expect(fragment.os?.id).toMatch(/^[a-z0-9._-]+$/);
  });
});
