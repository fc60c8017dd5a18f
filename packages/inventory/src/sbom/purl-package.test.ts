import type { InstalledPackage } from '@patchwarden/core';
import { describe, expect, it } from 'vitest';
import { packageFromPurl } from './purl-package.ts';
import type { ComponentHints } from './purl-package.ts';

function convert(
  purl: string,
  hints: Partial<ComponentHints> = {},
): { pkg?: InstalledPackage; warnings: string[] } {
  const warnings: string[] = [];
  const pkg = packageFromPurl(purl, { file: 'bom.json', ...hints }, (w) => warnings.push(w));
  return pkg ? { pkg, warnings } : { warnings };
}

describe('packageFromPurl: language ecosystems', () => {
  it.each([
    ['pkg:npm/%40babel/code-frame@7.0.0', 'npm', '@babel/code-frame', '7.0.0', 'npm'],
    ['pkg:pypi/Django_REST.framework@3.14.0', 'PyPI', 'django-rest-framework', '3.14.0', 'pypi'],
    [
      'pkg:maven/org.apache.logging.log4j/log4j-core@2.13.2?type=jar',
      'Maven',
      'org.apache.logging.log4j:log4j-core',
      '2.13.2',
      'maven',
    ],
    [
      'pkg:golang/github.com/package-url/packageurl-go@v0.1.1',
      'Go',
      'github.com/package-url/packageurl-go',
      'v0.1.1',
      'go',
    ],
    ['pkg:gem/rails@7.0.4', 'RubyGems', 'rails', '7.0.4', 'gem'],
    ['pkg:cargo/serde@1.0.150', 'crates.io', 'serde', '1.0.150', 'cargo'],
    ['pkg:nuget/Newtonsoft.Json@13.0.1', 'NuGet', 'Newtonsoft.Json', '13.0.1', 'nuget'],
    ['pkg:composer/pear/log@1.13.1', 'Packagist', 'pear/log', '1.13.1', 'composer'],
  ])('%s', (purl, ecosystem, name, version, packageManager) => {
    const { pkg, warnings } = convert(purl, { line: 7 });
    expect(warnings).toEqual([]);
    expect(pkg).toEqual({
      ecosystem,
      name,
      version,
      purl,
      kind: 'language',
      packageManager,
      location: { file: 'bom.json', line: 7 },
    });
  });

  it('falls back to the component version when the purl has none', () => {
    expect(convert('pkg:npm/lodash', { version: '4.17.21' }).pkg?.version).toBe('4.17.21');
    expect(convert('pkg:npm/lodash').warnings).toEqual([
      'pkg:npm/lodash: no version in the purl or the component',
    ]);
  });

  it('warns, and keeps the purl’s version, when the component disagrees', () => {
    const { pkg, warnings } = convert('pkg:npm/lodash@4.17.21', { version: '4.17.20' });
    expect(pkg?.version).toBe('4.17.21');
    expect(warnings).toEqual([
      'pkg:npm/lodash@4.17.21: the component says version "4.17.20", the purl "4.17.21"; using the purl',
    ]);
  });

  it('rejects invalid purls and types without an advisory ecosystem', () => {
    expect(convert('not a purl').warnings[0]).toMatch(/^invalid purl "not a purl"/);
    expect(convert('pkg:generic/thing@1.0').warnings).toEqual([
      'pkg:generic/thing@1.0: purl type "generic" has no advisory ecosystem, skipped',
    ]);
  });
});

describe('packageFromPurl: OS packages', () => {
  it.each([
    ['pkg:deb/ubuntu/libssl3@3.0.2-0ubuntu1.15?arch=amd64&distro=ubuntu-22.04', 'Ubuntu:22.04:LTS', 'dpkg'],
    ['pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&distro=debian-12.5', 'Debian:12', 'dpkg'],
    ['pkg:deb/debian/bash@5.2.15-2?distro=bookworm', 'Debian:12', 'dpkg'],
    ['pkg:apk/alpine/busybox@1.30.1-r5?arch=x86_64&distro=alpine-3.10.9', 'Alpine:v3.10', 'apk'],
    // Trivy writes only the release for Alpine.
    ['pkg:apk/alpine/musl@1.2.3-r0?distro=3.16.0', 'Alpine:v3.16', 'apk'],
    [
      'pkg:rpm/redhat/openssl-libs@3.0.7-27.el9?arch=x86_64&distro=redhat-9.3',
      'Red Hat:enterprise_linux:9',
      'rpm',
    ],
    ['pkg:rpm/almalinux/bash@5.1.8-9.el9?distro=almalinux-9.4', 'AlmaLinux:9', 'rpm'],
    ['pkg:rpm/opensuse/curl@8.0.1-150400.5.41.1?distro=opensuse-leap-15.5', 'openSUSE:Leap 15.5', 'rpm'],
  ])('%s -> %s', (purl, ecosystem, packageManager) => {
    const { pkg } = convert(purl);
    expect(pkg?.ecosystem).toBe(ecosystem);
    expect(pkg?.packageManager).toBe(packageManager);
    expect(pkg?.kind).toBe('os');
  });

  it('adds an epoch qualifier to the version and reads the upstream qualifier as the source', () => {
    const { pkg } = convert(
      'pkg:rpm/centos/openssl-libs@1.0.2k-16.el7?arch=x86_64&epoch=1&upstream=openssl-1.0.2k-16.el7.src.rpm&distro=centos-7.6.1810',
    );
    expect(pkg).toMatchObject({
      name: 'openssl-libs',
      version: '1:1.0.2k-16.el7',
      arch: 'x86_64',
      sourceName: 'openssl',
      sourceVersion: '1.0.2k-16.el7',
    });
    // CentOS has no OSV ecosystem.
    expect(pkg?.ecosystem).toBeUndefined();
    expect(convert('pkg:deb/debian/bsdutils@2.38.1-5?upstream=util-linux%402.38.1-5').pkg).toMatchObject({
      sourceName: 'util-linux',
      sourceVersion: '2.38.1-5',
    });
  });

  it('uses the SBOM’s own operating system when the purl names no distro, if the package manager fits', () => {
    const os = { id: 'ubuntu', versionId: '22.04', idLike: ['debian'] };
    expect(convert('pkg:deb/ubuntu/adduser@3.118ubuntu5', { os }).pkg?.ecosystem).toBe('Ubuntu:22.04:LTS');
    expect(convert('pkg:apk/alpine/musl@1.2.3-r0', { os }).pkg?.ecosystem).toBeUndefined();
    expect(convert('pkg:deb/ubuntu/adduser@3.118ubuntu5').pkg?.ecosystem).toBeUndefined();
  });
});
