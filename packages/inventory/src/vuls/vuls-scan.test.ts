import { readFileSync } from 'node:fs';
import { PatchwardenError } from '@patchwarden/core';
import { describe, expect, it } from 'vitest';
import { sharedDataPath } from '../../../../test-support/shared-data.ts';
import { parseVulsScan } from './vuls-scan.ts';

/**
 * The real Vuls results (vulsio/integration) state no licence, so they stay in ../shared/data; the
 * handwritten scans below have the same shape, cut down to what the parser reads.
 */
function scan(fields: Record<string, unknown>): string {
  return JSON.stringify({ jsonVersion: 4, serverName: 'web-1', scannedCves: {}, ...fields }, null, 2);
}

describe('parseVulsScan on handwritten scans', () => {
  it('maps an RPM scan: family, host facts, EVR with the epoch from `version`, sources', () => {
    const text = scan({
      family: 'alma',
      release: '9.4',
      ipv4Addrs: ['10.0.0.5'],
      ipv6Addrs: ['fd00::5'],
      runningKernel: { release: '5.14.0-427.el9.x86_64', version: '', rebootRequired: false },
      packages: {
        'openssl-libs': { name: 'openssl-libs', version: '1:3.0.7', release: '27.el9', arch: 'x86_64' },
        bash: { name: 'bash', version: '0:5.1.8', release: '9.el9', arch: 'x86_64' },
        'gpg-pubkey': { name: 'gpg-pubkey', version: 'b86b3716', release: '61e69f29', arch: '(none)' },
      },
      SrcPackages: {
        openssl: { name: 'openssl', version: '1:3.0.7-27.el9', arch: 'src', binaryNames: ['openssl-libs'] },
        bash: { name: 'bash', version: '5.1.8-9.el9', arch: 'src', binaryNames: ['bash'] },
      },
    });
    const fragment = parseVulsScan(text, 'web-1.json');
    expect(fragment.format).toBe('vuls-scan');
    expect(fragment.os).toEqual({ id: 'almalinux', versionId: '9.4', idLike: ['rhel', 'centos', 'fedora'] });
    expect(fragment.host).toEqual({
      hostname: 'web-1',
      ips: ['10.0.0.5', 'fd00::5'],
      kernel: '5.14.0-427.el9.x86_64',
    });
    expect(fragment.warnings).toEqual([]);
    expect(fragment.packages).toEqual([
      {
        ecosystem: 'AlmaLinux:9',
        name: 'openssl-libs',
        version: '1:3.0.7-27.el9',
        sourceName: 'openssl',
        sourceVersion: '1:3.0.7-27.el9',
        arch: 'x86_64',
        kind: 'os',
        packageManager: 'rpm',
        location: { file: 'web-1.json', line: lineOf(text, '"openssl-libs": {') },
      },
      expect.objectContaining({ name: 'bash', version: '5.1.8-9.el9', sourceVersion: '5.1.8-9.el9' }),
      {
        ecosystem: 'AlmaLinux:9',
        name: 'gpg-pubkey',
        version: 'b86b3716-61e69f29',
        kind: 'os',
        packageManager: 'rpm',
        location: { file: 'web-1.json', line: lineOf(text, '"gpg-pubkey": {') },
      },
    ]);
  });

  it('maps a dpkg scan, defaulting a package’s source to itself', () => {
    const text = scan({
      family: 'ubuntu',
      release: '24.04',
      packages: {
        libssl3: { name: 'libssl3', version: '3.0.13-0ubuntu3', release: '', arch: '' },
        adduser: { name: 'adduser', version: '3.137ubuntu1', release: '', arch: '' },
      },
      SrcPackages: { openssl: { name: 'openssl', version: '3.0.13-0ubuntu3', binaryNames: ['libssl3'] } },
    });
    const [libssl, adduser] = parseVulsScan(text, 'u.json').packages;
    expect(libssl).toMatchObject({
      ecosystem: 'Ubuntu:24.04:LTS',
      packageManager: 'dpkg',
      sourceName: 'openssl',
    });
    expect(libssl?.arch).toBeUndefined();
    expect(adduser).toMatchObject({ sourceName: 'adduser', sourceVersion: '3.137ubuntu1' });
  });

  it('keeps packages of an unknown family but says it cannot place them', () => {
    const text = scan({
      family: 'freebsd',
      release: '14.0',
      packages: { pkg: { name: 'pkg', version: '1.20' } },
    });
    const fragment = parseVulsScan(text, 'bsd.json');
    expect(fragment.packages).toMatchObject([{ name: 'pkg', packageManager: 'unknown' }]);
    expect(fragment.packages[0]?.ecosystem).toBeUndefined();
    expect(fragment.warnings).toEqual([
      'unknown Vuls family "freebsd": packages kept without a package manager',
    ]);
  });

  it('rejects JSON that is not a scan, and malformed JSON with its line', () => {
    expect(() => parseVulsScan('{"packages": {}}', 'x.json')).toThrow(
      expect.objectContaining({
        code: 'PW_ERR_INVALID_RECORD',
        details: { file: 'x.json', field: 'family' },
      }),
    );
    let thrown: unknown;
    try {
      parseVulsScan('{\n  "family": "debian",\n  "packages": {,\n}', 'bad.json');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PatchwardenError);
    expect((thrown as PatchwardenError).code).toBe('PW_ERR_PARSE');
    expect((thrown as PatchwardenError).details).toMatchObject({ file: 'bad.json', line: 3 });
  });
});

function lineOf(text: string, needle: string): number {
  return text.split('\n').findIndex((line) => line.includes(needle)) + 1;
}

const RESULTS = 'inventory/vuls-scan-results';

const COUNTS: ReadonlyArray<[string, number, string]> = [
  ['ubuntu_2204.json', 671, 'Ubuntu:22.04:LTS'],
  ['ubuntu_2004.json', 595, 'Ubuntu:20.04:LTS'],
  ['ubuntu_2404.json', 711, 'Ubuntu:24.04:LTS'],
  ['ubuntu_1804.json', 510, 'Ubuntu:18.04:LTS'],
  ['debian_12.json', 437, 'Debian:12'],
  ['debian_11.json', 419, 'Debian:11'],
  ['alma_9.json', 590, 'AlmaLinux:9'],
  ['alma_8.json', 536, 'AlmaLinux:8'],
  ['rocky_9.json', 412, 'Rocky Linux:9'],
  ['rhel_90.json', 496, 'Red Hat:enterprise_linux:9'],
  ['alpine_319.json', 18, 'Alpine:v3.19'],
];

describe('parseVulsScan on the vulsio/integration results', () => {
  for (const [name, count, ecosystem] of COUNTS) {
    const path = sharedDataPath(`${RESULTS}/${name}`);
    it.skipIf(!path)(`${name}: ${count} packages in ${ecosystem}`, () => {
      const text = readFileSync(path as string, 'utf8');
      const fragment = parseVulsScan(text, path as string);
      console.info(
        `[vuls] ${name}: ${fragment.packages.length} packages, ${fragment.os?.id} ${fragment.os?.versionId}`,
      );
      expect(fragment.packages).toHaveLength(count);
      expect(fragment.warnings).toEqual([]);
      expect(new Set(fragment.packages.map((p) => p.ecosystem))).toEqual(new Set([ecosystem]));
      const withoutSource = fragment.packages.filter((p) => !p.sourceName).map((p) => p.name);
      expect(withoutSource).toEqual(
        fragment.packages.some((p) => p.packageManager === 'rpm') ? ['gpg-pubkey'] : [],
      );
      const lines = text.split('\n');
      for (const pkg of fragment.packages)
        expect(lines[(pkg.location?.line ?? 0) - 1]).toContain(`"${pkg.name}": {`);
    });
  }

  it.skipIf(!sharedDataPath(`${RESULTS}/ubuntu_2204.json`))(
    'spot-checks Ubuntu 22.04 sources and epochs',
    () => {
      const path = sharedDataPath(`${RESULTS}/ubuntu_2204.json`) as string;
      const fragment = parseVulsScan(readFileSync(path, 'utf8'), path);
      const byName = new Map(fragment.packages.map((p) => [p.name, p]));
      expect(fragment.host).toEqual({
        hostname: 'ubuntu_2204',
        ips: ['192.168.0.175'],
        kernel: '5.15.0-69-generic',
      });
      expect(byName.get('libssl3')).toMatchObject({ version: '3.0.2-0ubuntu1.8', sourceName: 'openssl' });
      expect(byName.get('bind9-dnsutils')).toMatchObject({
        version: '1:9.18.12-0ubuntu0.22.04.1',
        sourceName: 'bind9',
        sourceVersion: '1:9.18.12-0ubuntu0.22.04.1',
      });
      expect(byName.get('linux-image-5.15.0-69-generic')?.sourceName).toBe('linux-signed');
      expect(byName.get('libc6')?.sourceName).toBe('glibc');
    },
  );

  it.skipIf(!sharedDataPath(`${RESULTS}/alma_9.json`))(
    'spot-checks AlmaLinux 9 epochs, sources and gpg-pubkey',
    () => {
      const path = sharedDataPath(`${RESULTS}/alma_9.json`) as string;
      const fragment = parseVulsScan(readFileSync(path, 'utf8'), path);
      const byName = new Map(fragment.packages.map((p) => [p.name, p]));
      expect(byName.get('openssl-libs')).toMatchObject({
        version: '1:3.0.1-23.el9_0',
        arch: 'x86_64',
        sourceName: 'openssl',
        sourceVersion: '1:3.0.1-23.el9_0',
      });
      expect(byName.get('python3-pyyaml')).toMatchObject({
        sourceName: 'PyYAML',
        sourceVersion: '5.4.1-6.el9',
      });
      expect(byName.get('kernel-core')).toMatchObject({
        version: '5.14.0-70.13.1.el9_0',
        sourceName: 'kernel',
      });
      expect(byName.get('gpg-pubkey')).toMatchObject({ version: 'b86b3716-61e69f29' });
      expect(byName.get('gpg-pubkey')?.arch).toBeUndefined();
    },
  );
});
