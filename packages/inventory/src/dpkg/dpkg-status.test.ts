import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../../../../test-support/shared-data.ts';
import { parseDpkgStatus } from './dpkg-status.ts';

const TRIVY = fixturePath('inventory/dpkg/trivy-ubuntu1804-status');
const SCALIBR = fixturePath('inventory/dpkg/osv-scalibr-valid-status');
const OSV_SCANNER = fixturePath('inventory/dpkg/osv-scanner-locks-many-status');

function parseFixture(path: string) {
  return parseDpkgStatus(readFileSync(path, 'utf8'), path);
}

describe('parseDpkgStatus on Trivy’s Ubuntu 18.04 status file', () => {
  const text = readFileSync(TRIVY, 'utf8');
  const fragment = parseDpkgStatus(text, TRIVY);

  it('keeps the 90 installed packages of the 91 paragraphs and says why git was dropped', () => {
    expect(text.match(/^Package: /gm)).toHaveLength(91);
    expect(fragment.packages).toHaveLength(90);
    expect(fragment.warnings).toEqual([
      expect.stringMatching(/^line \d+: git skipped: Status is "deinstall ok config-files"$/),
    ]);
    expect(fragment.packages.map((p) => p.name)).not.toContain('git');
    expect(fragment.format).toBe('dpkg-status');
    expect(fragment.os).toBeUndefined();
  });

  it('reads Source, source versions in brackets, epochs and the paragraph line', () => {
    const byName = new Map(fragment.packages.map((p) => [p.name, p]));
    expect(byName.get('fdisk')).toEqual({
      name: 'fdisk',
      version: '2.31.1-0.4ubuntu3.1',
      sourceName: 'util-linux',
      sourceVersion: '2.31.1-0.4ubuntu3.1',
      arch: 'amd64',
      kind: 'os',
      packageManager: 'dpkg',
      location: { file: TRIVY, line: 1 },
    });
    // `Source: xz-utils (5.1.1alpha+20120614-2)`: the binary was rebuilt, the source was not.
    const liblzma = byName.get('liblzma5');
    expect(liblzma?.sourceName).toBe('xz-utils');
    expect(liblzma?.sourceVersion).toBe('5.1.1alpha+20120614-2');
    const epoch = fragment.packages.find((p) => p.version === '2:8.39-9');
    expect(epoch?.name).toBe('libpcre3');
    expect(epoch?.sourceName).toBe('pcre3');
    // No Source field: the source is the package itself.
    const bash = byName.get('bash');
    expect(bash?.sourceName).toBe('bash');
    expect(bash?.sourceVersion).toBe(bash?.version);
    const lines = text.split('\n');
    for (const pkg of fragment.packages) {
      expect(lines[(pkg.location?.line ?? 0) - 1]).toBe(`Package: ${pkg.name}`);
    }
  });
});

describe('parseDpkgStatus on osv-scalibr and osv-scanner fixtures', () => {
  it('reads binNMU source versions and epochs (osv-scalibr)', () => {
    const fragment = parseFixture(SCALIBR);
    expect(fragment.packages.map((p) => `${p.name}=${p.version}`)).toEqual([
      'accountsservice=22.08.8-6',
      'acl=2.3.1-3',
      'adduser=3.131',
      'admin-session=2023.06.26.c543406313-00',
      'attr=1:2.5.1-4',
      'libacl1=2.3.1-3',
      'util-linux-extra=2.38.1-5+b1',
    ]);
    const extra = fragment.packages.at(-1);
    expect(extra?.sourceName).toBe('util-linux');
    expect(extra?.sourceVersion).toBe('2.38.1-5');
    expect(fragment.warnings).toEqual([]);
  });

  it('reads a file without a trailing newline (osv-scanner)', () => {
    const fragment = parseFixture(OSV_SCANNER);
    expect(fragment.packages).toMatchObject([{ name: 'adduser', version: '3.118', arch: 'all' }]);
  });
});

describe('parseDpkgStatus edge cases', () => {
  const paragraph = (name: string, status: string, extra = '') =>
    `Package: ${name}\nStatus: ${status}\nArchitecture: amd64\nVersion: 1.0-1\n${extra}`;

  it('keeps installed packages whatever their selection, skips removed, half-installed and not-installed ones', () => {
    const text = [
      paragraph('a', 'install ok installed'),
      paragraph('b', 'hold ok installed'),
      paragraph('r', 'deinstall ok installed'),
      paragraph('t', 'install ok triggers-pending'),
      paragraph('c', 'deinstall ok config-files'),
      paragraph('d', 'install ok half-installed'),
      paragraph('e', 'purge ok not-installed'),
      paragraph('f', 'install reinstreq half-installed'),
      paragraph('g', 'install ok unpacked'),
    ].join('\n');
    const fragment = parseDpkgStatus(text, 'status');
    expect(fragment.packages.map((p) => p.name)).toEqual(['a', 'b', 'r', 't']);
    expect(fragment.warnings).toHaveLength(5);
    expect(fragment.warnings[0]).toBe('line 21: c skipped: Status is "deinstall ok config-files"');
  });

  it('keeps both architectures of a Multi-Arch: same package', () => {
    const text =
      'Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nMulti-Arch: same\nSource: glibc\nVersion: 2.36-9\n\n' +
      'Package: libc6\nStatus: install ok installed\nArchitecture: i386\nMulti-Arch: same\nSource: glibc\nVersion: 2.36-9\n';
    const fragment = parseDpkgStatus(text, 'status');
    expect(fragment.packages.map((p) => `${p.name}:${p.arch}@${p.location?.line}`)).toEqual([
      'libc6:amd64@1',
      'libc6:i386@8',
    ]);
  });

  it('treats indented lines as continuations and accepts CRLF line ends', () => {
    const text =
      'Package: x\r\nStatus: install ok installed\r\nDescription: first\r\n Version: 9.9 is not a field\r\n .\r\nVersion: 2.0\r\n';
    expect(parseDpkgStatus(text, 'status').packages).toMatchObject([{ name: 'x', version: '2.0' }]);
  });

  it('warns, with the line, about paragraphs it cannot use', () => {
    const text =
      'Status: install ok installed\nVersion: 1\n\nPackage: y\nStatus: install ok installed\n\ngarbage\n';
    const fragment = parseDpkgStatus(text, 'status');
    expect(fragment.packages).toEqual([]);
    expect(fragment.warnings).toEqual([
      'line 1: paragraph without a Package field skipped',
      'line 4: y skipped: no Version field',
      'line 7: not a "Field: value" line, ignored',
      'line 7: paragraph without a Package field skipped',
    ]);
  });

  it('returns no packages for an empty file', () => {
    expect(parseDpkgStatus('', 'status')).toEqual({
      format: 'dpkg-status',
      file: 'status',
      packages: [],
      warnings: [],
    });
  });
});

const LOCAL_STATUS = '/var/lib/dpkg/status';
const hasDpkg = existsSync(LOCAL_STATUS) && commandExists('dpkg-query');

describe.skipIf(!hasDpkg)('parseDpkgStatus on this machine’s /var/lib/dpkg/status', () => {
  it('finds exactly the packages dpkg-query reports as installed (ii, hi, ri, or awaiting triggers)', () => {
    const fragment = parseDpkgStatus(readFileSync(LOCAL_STATUS, 'utf8'), LOCAL_STATUS);
    // `${db:Status-Abbrev}` is three characters: want, status and error flag (`ii `).
    const listed = execFileSync(
      'dpkg-query',
      ['-W', '-f=${db:Status-Abbrev}|${binary:Package} ${Version}\n'],
      {
        encoding: 'utf8',
      },
    )
      .split('\n')
      .filter((line) => /^[a-z][itW] \|/.test(line))
      .map((line) => line.slice(line.indexOf('|') + 1))
      .sort();
    const parsed = fragment.packages
      .map(
        (p) =>
          `${p.name}${p.arch && p.arch !== 'all' && isMultiArchSame(p.name, listed) ? `:${p.arch}` : ''} ${p.version}`,
      )
      .sort();
    console.info(
      `[dpkg] ${LOCAL_STATUS}: ${fragment.packages.length} installed, dpkg-query: ${listed.length}`,
    );
    expect(fragment.packages.length).toBe(listed.length);
    expect(parsed).toEqual(listed);
  });
});

/** dpkg-query prints `${binary:Package}` with `:arch` only for Multi-Arch: same packages. */
function isMultiArchSame(name: string, listed: readonly string[]): boolean {
  return listed.some((line) => line.startsWith(`${name}:`));
}

function commandExists(command: string): boolean {
  try {
    execFileSync(command, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
