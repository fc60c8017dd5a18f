import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../../../../test-support/shared-data.ts';
import { parseApkInstalled } from './apk-installed.ts';

const SCALIBR = fixturePath('inventory/apk/osv-scalibr-installed');
const OSV_SCANNER = fixturePath('inventory/apk/osv-scanner-locks-many-installed');

describe('parseApkInstalled', () => {
  it('reads every package of osv-scalibr’s Alpine database with its origin as source', () => {
    const fragment = parseApkInstalled(readFileSync(SCALIBR, 'utf8'), SCALIBR);
    expect(fragment.format).toBe('apk-installed');
    expect(fragment.warnings).toEqual([]);
    expect(fragment.packages).toHaveLength(15);
    const byName = new Map(fragment.packages.map((p) => [p.name, p]));
    expect(byName.get('libssl3')).toEqual({
      name: 'libssl3',
      version: '3.1.0-r4',
      sourceName: 'openssl',
      sourceVersion: '3.1.0-r4',
      arch: 'x86_64',
      kind: 'os',
      packageManager: 'apk',
      location: { file: SCALIBR, line: 520 },
    });
    expect(byName.get('libc-utils')?.sourceName).toBe('libc-dev');
    expect(byName.get('scanelf')?.sourceName).toBe('pax-utils');
    expect(byName.get('ssl_client')?.sourceName).toBe('busybox');
    expect(fragment.packages[0]?.location?.line).toBe(1);
  });

  it('reads a one-package database (osv-scanner)', () => {
    const fragment = parseApkInstalled(readFileSync(OSV_SCANNER, 'utf8'), OSV_SCANNER);
    expect(fragment.packages).toMatchObject([
      { name: 'apk-tools', version: '2.12.10-r1', sourceName: 'apk-tools', location: { line: 1 } },
    ]);
  });

  it('falls back to the package name without an origin and warns about incomplete blocks', () => {
    const text = 'P:foo\nV:1.0-r0\n\nP:bar\nA:x86_64\n\nV:2.0-r0\nnot a field\n';
    const fragment = parseApkInstalled(text, 'installed');
    expect(fragment.packages).toMatchObject([{ name: 'foo', version: '1.0-r0', sourceName: 'foo' }]);
    expect(fragment.packages[0]?.arch).toBeUndefined();
    expect(fragment.warnings).toEqual([
      'line 4: block skipped: bar has no V: line',
      'line 8: not a "X:value" line, ignored',
      'line 7: block skipped: no P: line',
    ]);
  });
});
