import { describe, expect, it } from 'vitest';
import type { OsRelease } from './installed-package.ts';
import { osEcosystem, packageManagerFamily } from './os-ecosystem.ts';

function os(id: string, versionId?: string, extra: Partial<OsRelease> = {}): OsRelease {
  return { id, idLike: [], ...(versionId === undefined ? {} : { versionId }), ...extra };
}

describe('osEcosystem', () => {
  it.each([
    [os('ubuntu', '22.04'), 'Ubuntu:22.04:LTS'],
    [os('ubuntu', '24.04'), 'Ubuntu:24.04:LTS'],
    [os('ubuntu', '18.04'), 'Ubuntu:18.04:LTS'],
    [os('ubuntu', '23.10'), 'Ubuntu:23.10'],
    // An odd-year April release is not LTS.
    [os('ubuntu', '23.04'), 'Ubuntu:23.04'],
    [os('ubuntu', '22.10'), 'Ubuntu:22.10'],
    [os('debian', '12'), 'Debian:12'],
    [os('debian', '12.5'), 'Debian:12'],
    [os('debian', '11'), 'Debian:11'],
    [os('debian', undefined, { versionCodename: 'trixie' }), 'Debian:13'],
    [os('alpine', '3.19.1'), 'Alpine:v3.19'],
    [os('alpine', '3.10.9'), 'Alpine:v3.10'],
    [os('almalinux', '9.4'), 'AlmaLinux:9'],
    [os('almalinux', '8.9'), 'AlmaLinux:8'],
    [os('rocky', '9.1'), 'Rocky Linux:9'],
    [os('rhel', '9.0'), 'Red Hat:enterprise_linux:9'],
    [os('opensuse-leap', '15.5', { prettyName: 'openSUSE Leap 15.5' }), 'openSUSE:Leap 15.5'],
    [os('opensuse-leap', '15.6'), 'openSUSE:Leap 15.6'],
    [os('opensuse-tumbleweed', '20240101', { prettyName: 'openSUSE Tumbleweed' }), 'openSUSE:Tumbleweed'],
    [
      os('sles', '15.5', { prettyName: 'SUSE Linux Enterprise Server 15 SP5' }),
      'SUSE:Linux Enterprise Server 15 SP5',
    ],
    [os('sles', '15.5'), 'SUSE:Linux Enterprise Server 15 SP5'],
    [os('mageia', '9'), 'Mageia:9'],
    [os('photon', '5.0'), 'Photon OS:5.0'],
    [os('wolfi', '20230201'), 'Wolfi'],
    [os('UBUNTU', '20.04'), 'Ubuntu:20.04:LTS'],
  ])('%o -> %s', (release, expected) => {
    expect(osEcosystem(release)).toBe(expected);
  });

  it.each([
    ['Debian sid has no release number', os('debian', undefined, { versionCodename: 'sid' })],
    ['Debian without VERSION_ID or codename', os('debian')],
    ['Ubuntu without VERSION_ID', os('ubuntu')],
    ['CentOS has no OSV ecosystem', os('centos', '7')],
    ['Fedora has no OSV ecosystem', os('fedora', '40')],
    ['Amazon Linux has no OSV ecosystem', os('amzn', '2023')],
    ['Oracle Linux has no OSV ecosystem', os('ol', '9.3')],
    ['an unknown distro', os('plan9', '4')],
    ['a garbled version', os('almalinux', 'nine')],
    ['Linux Mint is not mapped through ID_LIKE', os('linuxmint', '21.3', { idLike: ['ubuntu', 'debian'] })],
  ])('%s -> undefined', (_why, release) => {
    expect(osEcosystem(release)).toBeUndefined();
  });
});

describe('packageManagerFamily', () => {
  it.each([
    [os('debian', '12'), 'dpkg'],
    [os('ubuntu', '22.04'), 'dpkg'],
    [os('linuxmint', '21', { idLike: ['ubuntu', 'debian'] }), 'dpkg'],
    [os('pop', '22.04', { idLike: ['ubuntu', 'debian'] }), 'dpkg'],
    [os('rhel', '9.0'), 'rpm'],
    [os('almalinux', '9.4', { idLike: ['rhel', 'centos', 'fedora'] }), 'rpm'],
    [os('amzn', '2023', { idLike: ['fedora'] }), 'rpm'],
    [os('opensuse-leap', '15.5', { idLike: ['suse', 'opensuse'] }), 'rpm'],
    [os('someclone', '9', { idLike: ['rhel', 'fedora'] }), 'rpm'],
    [os('alpine', '3.19.1'), 'apk'],
    [os('postmarketos', 'v23.12', { idLike: ['alpine'] }), 'apk'],
  ] as const)('%o -> %s', (release, expected) => {
    expect(packageManagerFamily(release)).toBe(expected);
  });

  it('returns undefined for distros with another package manager', () => {
    expect(packageManagerFamily(os('arch'))).toBeUndefined();
    expect(packageManagerFamily(os('nixos', '24.05'))).toBeUndefined();
  });
});
