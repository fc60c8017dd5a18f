import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sharedDataPath } from '../../../../test-support/shared-data.ts';
import { parseVulsScan } from '../vuls/vuls-scan.ts';
import { parseRpmQa, parseSourceRpm } from './rpm-qa.ts';

const QF = '%{NAME}\\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\\t%{ARCH}\\t%{SOURCERPM}\\n';

describe('parseSourceRpm', () => {
  it.each([
    ['openssl-3.0.1-43.el9_0.src.rpm', 'openssl', '3.0.1-43.el9_0'],
    ['python-setuptools-53.0.0-10.el9.src.rpm', 'python-setuptools', '53.0.0-10.el9'],
    ['kernel-5.14.0-70.13.1.el9_0.src.rpm', 'kernel', '5.14.0-70.13.1.el9_0'],
    ['foo-1.0-1.nosrc.rpm', 'foo', '1.0-1'],
  ])('%s -> %s %s', (file, name, versionRelease) => {
    expect(parseSourceRpm(file)).toEqual({ file, name, versionRelease });
  });

  it.each(['(none)', 'openssl.src.rpm', 'openssl-3.0.1.src.rpm', 'openssl-3.0.1-43.el9.rpm'])(
    'rejects %s',
    (file) => {
      expect(parseSourceRpm(file)).toBeUndefined();
    },
  );
});

describe('parseRpmQa', () => {
  it('writes epoch 0 as no epoch and keeps other epochs', () => {
    const text =
      'bash\t0:5.1.8-4.el9\tx86_64\tbash-5.1.8-4.el9.src.rpm\n' +
      'openssl\t1:3.0.1-43.el9_0\tx86_64\topenssl-3.0.1-43.el9_0.src.rpm\n';
    const fragment = parseRpmQa(text, 'rpm-qa.txt');
    expect(fragment.packages).toEqual([
      {
        name: 'bash',
        version: '5.1.8-4.el9',
        arch: 'x86_64',
        sourceName: 'bash',
        sourceVersion: '5.1.8-4.el9',
        kind: 'os',
        packageManager: 'rpm',
        location: { file: 'rpm-qa.txt', line: 1 },
      },
      {
        name: 'openssl',
        version: '1:3.0.1-43.el9_0',
        arch: 'x86_64',
        sourceName: 'openssl',
        sourceVersion: '1:3.0.1-43.el9_0',
        kind: 'os',
        packageManager: 'rpm',
        location: { file: 'rpm-qa.txt', line: 2 },
      },
    ]);
  });

  it('gives a source the epoch of its main binary, not that of a subpackage with its own version', () => {
    const text = [
      'perl-IO-Zlib\t1:1.10-422.el8.0.1\tnoarch\tperl-5.26.3-422.el8.0.1.src.rpm',
      'perl-interpreter\t4:5.26.3-422.el8.0.1\tx86_64\tperl-5.26.3-422.el8.0.1.src.rpm',
      'lonely-sub\t2:0.1-1\tnoarch\tlonely-9.9-1.src.rpm',
    ].join('\n');
    const [zlib, perl, lonely] = parseRpmQa(text, 'qa').packages;
    expect(zlib).toMatchObject({
      version: '1:1.10-422.el8.0.1',
      sourceName: 'perl',
      sourceVersion: '4:5.26.3-422.el8.0.1',
    });
    expect(perl).toMatchObject({ version: '4:5.26.3-422.el8.0.1', sourceVersion: '4:5.26.3-422.el8.0.1' });
    // No installed binary shares the SRPM's version: its epoch is unknown, so none is invented.
    expect(lonely).toMatchObject({ version: '2:0.1-1', sourceName: 'lonely', sourceVersion: '9.9-1' });
  });

  it('handles gpg-pubkey, (none) fields, %{EPOCH} output, CRLF and blank lines', () => {
    const text =
      'gpg-pubkey\t0:b86b3716-61e69f29\t(none)\t(none)\r\n\r\nfoo\t(none):1.0-1\tnoarch\tfoo-1.0-1.src.rpm\r\n';
    const [key, foo] = parseRpmQa(text, 'qa').packages;
    expect(key).toEqual({
      name: 'gpg-pubkey',
      version: 'b86b3716-61e69f29',
      kind: 'os',
      packageManager: 'rpm',
      location: { file: 'qa', line: 1 },
    });
    expect(foo).toMatchObject({ name: 'foo', version: '1.0-1', arch: 'noarch', location: { line: 3 } });
  });

  it('turns bad lines into warnings with their line numbers', () => {
    const text = [
      'good\t0:1.0-1\tx86_64\tgood-1.0-1.src.rpm',
      'just some text',
      'noversion\t0:1.0\tx86_64\tx-1.0-1.src.rpm',
      'badsrc\t0:1.0-1\tx86_64\tnot-an-srpm',
      '\t0:1.0-1\tx86_64\t(none)',
    ].join('\n');
    const fragment = parseRpmQa(text, 'qa');
    expect(fragment.packages.map((p) => p.name)).toEqual(['good']);
    expect(fragment.warnings).toEqual([
      'line 2: not a tab-separated rpm -qa line: "just some text"',
      'line 3: noversion: invalid epoch:version-release "0:1.0"',
      'line 4: badsrc: unreadable SOURCERPM "not-an-srpm"',
      'line 5: invalid package name ""',
    ]);
  });
});

const hasRpmTools = ['rpm', 'rpmbuild'].every(commandExists);

describe.skipIf(!hasRpmTools)('parseRpmQa on real rpm -qa output', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pw-rpmqa-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a real rpm database holding an epoch, a subpackage with its own epoch and a gpg-pubkey', () => {
    const spec = join(dir, 'demo.spec');
    writeFileSync(
      spec,
      [
        'Name: pw-demo',
        'Epoch: 3',
        'Version: 1.2.3',
        'Release: 4.el9',
        'Summary: demo',
        'License: MIT',
        'BuildArch: noarch',
        '%description',
        'demo',
        '%package -n pw-demo-sub',
        'Epoch: 1',
        'Version: 0.9',
        'Summary: sub',
        '%description -n pw-demo-sub',
        'sub',
        '%files',
        '%files -n pw-demo-sub',
        '',
      ].join('\n'),
    );
    const top = join(dir, 'top');
    execFileSync(
      'rpmbuild',
      ['-bb', '--define', `_topdir ${top}`, '--define', '_build_id_links none', spec],
      {
        stdio: 'ignore',
      },
    );
    const rpms = readdirSync(join(top, 'RPMS', 'noarch')).map((f) => join(top, 'RPMS', 'noarch', f));
    const db = join(dir, 'db');
    execFileSync('rpm', ['--dbpath', db, '--initdb']);
    execFileSync('rpm', ['-i', '--dbpath', db, '--nodeps', '--noscripts', '--justdb', ...rpms], {
      stdio: 'ignore',
    });
    const key = armoredDebianKey(dir);
    if (key) execFileSync('rpm', ['--dbpath', db, '--import', key]);
    const output = execFileSync('rpm', ['-qa', '--dbpath', db, '--qf', QF], { encoding: 'utf8' });

    const fragment = parseRpmQa(output, 'rpm-qa');
    console.info(`[rpm] real rpm -qa output:\n${output.trimEnd()}`);
    expect(fragment.warnings).toEqual([]);
    const byName = new Map(fragment.packages.map((p) => [p.name, p]));
    expect(byName.get('pw-demo')).toMatchObject({
      version: '3:1.2.3-4.el9',
      arch: 'noarch',
      sourceName: 'pw-demo',
      sourceVersion: '3:1.2.3-4.el9',
    });
    expect(byName.get('pw-demo-sub')).toMatchObject({
      version: '1:0.9-4.el9',
      sourceName: 'pw-demo',
      sourceVersion: '3:1.2.3-4.el9',
    });
    if (key) {
      const pubkey = byName.get('gpg-pubkey');
      expect(pubkey?.version).toMatch(/^[0-9a-f]{8}-[0-9a-f]{8}$/);
      expect(pubkey?.arch).toBeUndefined();
      expect(pubkey?.sourceName).toBeUndefined();
    }
    expect(fragment.packages).toHaveLength(key ? 3 : 2);
  });
});

const ALMA_9 = sharedDataPath('inventory/vuls-scan-results/alma_9.json');

describe.skipIf(!ALMA_9)(
  'parseRpmQa on the AlmaLinux 9 inventory of a Vuls scan, written as rpm -qa lines',
  () => {
    it('agrees with the Vuls parser on all 590 packages', () => {
      const path = ALMA_9 as string;
      const text = readFileSync(path, 'utf8');
      const scan = JSON.parse(text) as VulsLike;
      const lines = Object.values(scan.packages).map((p) => {
        const [epoch, version] = p.version.includes(':') ? p.version.split(':') : ['0', p.version];
        const src = Object.values(scan.SrcPackages).find((s) => s.binaryNames.includes(p.name));
        const srpm = src ? `${src.name}-${src.version.replace(/^\d+:/, '')}.src.rpm` : '(none)';
        return `${p.name}\t${epoch}:${version}-${p.release}\t${p.arch}\t${srpm}`;
      });
      const fromQa = parseRpmQa(lines.join('\n'), 'alma_9.qa');
      const fromVuls = parseVulsScan(text, path);
      console.info(
        `[rpm] alma_9 as rpm -qa: ${fromQa.packages.length} packages, ${fromQa.warnings.length} warnings`,
      );
      expect(fromQa.warnings).toEqual([]);
      expect(fromQa.packages).toHaveLength(590);
      const strip = (v: string | undefined) => v?.replace(/^\d+:/, '');
      expect(
        fromQa.packages.map((p) => [p.name, p.version, p.arch, p.sourceName, strip(p.sourceVersion)]),
      ).toEqual(
        fromVuls.packages.map((p) => [p.name, p.version, p.arch, p.sourceName, strip(p.sourceVersion)]),
      );
      const networkManager = fromQa.packages.find((p) => p.name === 'NetworkManager');
      expect(networkManager).toMatchObject({
        version: '1:1.36.0-4.el9_0',
        sourceVersion: '1:1.36.0-4.el9_0',
      });
    });
  },
);

interface VulsLike {
  packages: Record<string, { name: string; version: string; release: string; arch: string }>;
  SrcPackages: Record<string, { name: string; version: string; binaryNames: string[] }>;
}

function armoredDebianKey(dir: string): string | undefined {
  const keyring = '/usr/share/keyrings/debian-archive-bookworm-stable.gpg';
  if (!existsSync(keyring) || !commandExists('gpg')) return undefined;
  try {
    const armored = execFileSync(
      'gpg',
      ['--homedir', dir, '--no-default-keyring', '--keyring', keyring, '--export', '--armor'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    );
    if (!armored.includes('BEGIN PGP PUBLIC KEY BLOCK')) return undefined;
    const path = join(dir, 'key.asc');
    writeFileSync(path, armored);
    return path;
  } catch {
    return undefined;
  }
}

function commandExists(command: string): boolean {
  try {
    execFileSync(command, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
