import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseOsRelease } from '@patchwarden/inventory';
import { collectOptions } from './collect-options.ts';
import { collectHostReport } from './collect-host-report.ts';
import { collectOsPackages } from './os-packages.ts';
import { detectRebootRequired } from './reboot-required.ts';

const FIXTURES = fileURLToPath(new URL('../../../../fixtures/inventory/', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'pw-agent-collect-'));
after(() => rmSync(work, { recursive: true, force: true }));

function commandWorks(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const hasDpkg = existsSync('/var/lib/dpkg/status') && commandWorks('dpkg-query', ['--version']);

describe('collection on this machine (read-only)', () => {
  it(
    'reads every installed dpkg package, as many as dpkg-query counts',
    { skip: !hasDpkg && 'no dpkg here' },
    async () => {
      // Same states as the parser: files on disk at the recorded version (installed or awaiting triggers).
      const states = execFileSync('dpkg-query', ['-W', '-f', '${db:Status-Status}\n'], { encoding: 'utf8' })
        .split('\n')
        .filter((s) => s === 'installed' || s === 'triggers-awaited' || s === 'triggers-pending');
      const started = performance.now();
      const { report, sources } = await collectHostReport(collectOptions());
      const dpkg = report.packages.filter((p) => p.packageManager === 'dpkg');
      console.log(
        `this machine: ${dpkg.length} dpkg packages (dpkg-query: ${states.length}), ${report.packages.length} in all, ` +
          `${report.facts.ips.length} ips, ${report.facts.macs.length} macs, collected in ${Math.round(performance.now() - started)} ms`,
      );
      assert.equal(dpkg.length, states.length);
      assert.ok(sources.includes('/var/lib/dpkg/status'));
      const names = new Set(
        execFileSync('dpkg-query', ['-W', '-f', '${Package}\n'], { encoding: 'utf8' }).split('\n'),
      );
      for (const p of dpkg) assert.ok(names.has(p.name), `${p.name} is known to dpkg-query`);
    },
  );

  it('reports the OS from /etc/os-release and the kernel, machine and addresses of this host', async () => {
    const { report } = await collectHostReport(
      collectOptions({ rpmCommand: undefined, dpkgStatusPath: undefined }),
    );
    const expectedOs = parseOsRelease(readFileSync('/etc/os-release', 'utf8'), '/etc/os-release').os;
    assert.deepEqual(report.os, expectedOs);
    assert.deepEqual(report.facts.os, expectedOs);
    assert.equal(report.facts.kernel, execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim());
    assert.equal(report.facts.architecture, execFileSync('uname', ['-m'], { encoding: 'utf8' }).trim());
    assert.ok(report.facts.hostname.length > 0);
    assert.ok(report.facts.ips.length > 0, 'at least one non-loopback address');
    assert.ok(report.facts.macs.length > 0, 'at least one MAC address');
    for (const ip of report.facts.ips)
      assert.ok(!ip.startsWith('127.') && ip !== '::1' && !/^fe80/i.test(ip), ip);
    for (const mac of report.facts.macs) assert.match(mac, /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/);
    assert.ok(report.facts.uptimeSeconds > 0);
    assert.ok(!Number.isNaN(Date.parse(report.collectedAt)));
  });

  it('falls back to ID=linux with a warning when no os-release exists', async () => {
    const { report, warnings } = await collectHostReport(
      collectOptions({
        osReleasePaths: [join(work, 'missing')],
        dpkgStatusPath: undefined,
        rpmCommand: undefined,
      }),
    );
    assert.deepEqual(report.os, { id: 'linux', idLike: [] });
    assert.ok(warnings.some((w) => w.includes('no os-release')));
  });
});

describe('package databases from fixtures', () => {
  it('reads a real dpkg status and a real apk database together', async () => {
    const { fragments, warnings } = await collectOsPackages(
      collectOptions({
        dpkgStatusPath: join(FIXTURES, 'dpkg/trivy-ubuntu1804-status'),
        apkInstalledPath: join(FIXTURES, 'apk/osv-scalibr-installed'),
        rpmCommand: undefined,
      }),
    );
    assert.deepEqual(
      fragments.map((f) => [f.format, f.packages.length]),
      [
        ['dpkg-status', 90],
        ['apk-installed', fragments[1]?.packages.length],
      ],
    );
    assert.ok((fragments[1]?.packages.length ?? 0) > 0);
    // The one removed package with config files left is skipped, and said so.
    assert.ok(warnings.some((w) => w.includes('git skipped')));
  });

  it('skips databases that are absent without a warning', async () => {
    const { fragments, warnings } = await collectOsPackages(
      collectOptions({
        dpkgStatusPath: join(work, 'no-dpkg'),
        apkInstalledPath: join(work, 'no-apk'),
        rpmCommand: [join(work, 'no-rpm-binary')],
      }),
    );
    assert.deepEqual(fragments, []);
    assert.deepEqual(warnings, []);
  });

  const hasRpmbuild = commandWorks('rpm', ['--version']) && commandWorks('rpmbuild', ['--version']);
  it(
    'queries rpm only when its database holds packages',
    { skip: !hasRpmbuild && 'rpm/rpmbuild not installed' },
    async () => {
      const top = join(work, 'rpm');
      const db = join(top, 'db');
      mkdirSync(join(top, 'SPECS'), { recursive: true });
      mkdirSync(db, { recursive: true });
      execFileSync('rpm', ['--dbpath', db, '--initdb']);
      const rpm = ['rpm', '--dbpath', db];
      const empty = await collectOsPackages(
        collectOptions({ dpkgStatusPath: undefined, apkInstalledPath: undefined, rpmCommand: rpm }),
      );
      assert.deepEqual(empty.fragments, [], 'an empty rpm database is skipped');

      writeFileSync(
        join(top, 'SPECS/pwtest.spec'),
        'Name: pwtest\nVersion: 1.2.3\nRelease: 4.el9\nEpoch: 2\nSummary: t\nLicense: MIT\nBuildArch: noarch\n%description\nt\n%files\n',
      );
      execFileSync(
        'rpmbuild',
        ['--define', `_topdir ${top}`, '--define', `_dbpath ${db}`, '-bb', join(top, 'SPECS/pwtest.spec')],
        {
          stdio: 'ignore',
        },
      );
      execFileSync(
        'rpm',
        [
          '--dbpath',
          db,
          '-i',
          '--justdb',
          '--nodeps',
          join(top, 'RPMS/noarch/pwtest-1.2.3-4.el9.noarch.rpm'),
        ],
        {
          stdio: 'ignore',
        },
      );
      const { fragments } = await collectOsPackages(
        collectOptions({ dpkgStatusPath: undefined, apkInstalledPath: undefined, rpmCommand: rpm }),
      );
      assert.equal(fragments.length, 1);
      const [pkg] = fragments[0]?.packages ?? [];
      assert.deepEqual(
        {
          name: pkg?.name,
          version: pkg?.version,
          arch: pkg?.arch,
          sourceName: pkg?.sourceName,
          sourceVersion: pkg?.sourceVersion,
        },
        {
          name: 'pwtest',
          version: '2:1.2.3-4.el9',
          arch: 'noarch',
          sourceName: 'pwtest',
          sourceVersion: '2:1.2.3-4.el9',
        },
      );
    },
  );
});

describe('reboot required', () => {
  const flag = join(work, 'reboot-required');
  const script = (name: string, exitCode: number): string[] => {
    const path = join(work, name);
    writeFileSync(path, `#!/bin/sh\n[ "$1" = "-r" ] || exit 9\nexit ${exitCode}\n`);
    chmodSync(path, 0o755);
    return [path];
  };
  const base = { rebootRequiredPath: flag, needsRestartingCommand: undefined, commandTimeoutMs: 5_000 };

  it('is true while /var/run/reboot-required exists, false otherwise', async () => {
    assert.equal((await detectRebootRequired(base)).rebootRequired, false);
    writeFileSync(flag, '*** System restart required ***\n');
    assert.equal((await detectRebootRequired(base)).rebootRequired, true);
    rmSync(flag);
    assert.equal((await detectRebootRequired(base)).rebootRequired, false);
  });

  it('follows the exit status of needs-restarting -r (1 = reboot, 0 = none, else a warning)', async () => {
    assert.equal(
      (await detectRebootRequired({ ...base, needsRestartingCommand: script('nr-1', 1) })).rebootRequired,
      true,
    );
    assert.equal(
      (await detectRebootRequired({ ...base, needsRestartingCommand: script('nr-0', 0) })).rebootRequired,
      false,
    );
    const odd = await detectRebootRequired({ ...base, needsRestartingCommand: script('nr-3', 3) });
    assert.equal(odd.rebootRequired, false);
    assert.equal(odd.warnings.length, 1);
    const absent = await detectRebootRequired({ ...base, needsRestartingCommand: [join(work, 'absent')] });
    assert.deepEqual(absent, { rebootRequired: false, warnings: [] });
  });
});

describe('lockfiles in a collection', () => {
  it('adds the packages of lockfiles found under the configured paths', async () => {
    const app = join(work, 'srv/app');
    mkdirSync(app, { recursive: true });
    copyFileSync(
      join(FIXTURES, 'trivy-integration/lockfiles/npm/package-lock.json'),
      join(app, 'package-lock.json'),
    );
    const { report, sources } = await collectHostReport(
      collectOptions({
        dpkgStatusPath: undefined,
        rpmCommand: undefined,
        lockfilePaths: [join(work, 'srv')],
      }),
    );
    assert.deepEqual(sources, [join(app, 'package-lock.json')]);
    assert.ok(report.packages.length > 0);
    assert.ok(
      report.packages.every(
        (p) => p.packageManager === 'npm' && p.location?.file === join(app, 'package-lock.json'),
      ),
    );
  });
});
