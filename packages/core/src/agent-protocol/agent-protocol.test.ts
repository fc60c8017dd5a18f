import { describe, expect, it } from 'vitest';
import type { InstalledPackage, OsRelease } from '../inventory/installed-package.ts';
import {
  AGENT_PROTOCOL_PATHS,
  INVENTORY_CANONICAL_HEADER,
  canonicalInventoryText,
} from './agent-protocol.ts';

const os: OsRelease = { id: 'debian', versionId: '12', versionCodename: 'bookworm', idLike: [] };
const openssl: InstalledPackage = {
  name: 'openssl',
  version: '3.0.15-1~deb12u1',
  sourceName: 'openssl',
  sourceVersion: '3.0.15-1~deb12u1',
  arch: 'amd64',
  kind: 'os',
  packageManager: 'dpkg',
  location: { file: '/var/lib/dpkg/status', line: 120 },
};
const bash: InstalledPackage = {
  ...openssl,
  name: 'bash',
  version: '5.2.15-2+b7',
  sourceName: 'bash',
  sourceVersion: '5.2.15-2',
};

describe('canonicalInventoryText', () => {
  it('starts with its layout version, then the OS, then one sorted line per package', () => {
    const lines = canonicalInventoryText(os, [openssl, bash]).split('\n');
    expect(lines[0]).toBe(INVENTORY_CANONICAL_HEADER);
    expect(JSON.parse(lines[1] ?? '')).toEqual(['debian', '12', 'bookworm', null, null, []]);
    expect(lines.slice(2).map((l) => (JSON.parse(l) as string[])[3])).toEqual(['bash', 'openssl']);
  });

  it('ignores collection order and line numbers but not versions or files', () => {
    const text = canonicalInventoryText(os, [openssl, bash]);
    expect(
      canonicalInventoryText(os, [bash, { ...openssl, location: { file: '/var/lib/dpkg/status', line: 9 } }]),
    ).toBe(text);
    expect(canonicalInventoryText(os, [bash, { ...openssl, version: '3.0.16-1~deb12u1' }])).not.toBe(text);
    expect(canonicalInventoryText(os, [bash, { ...openssl, location: { file: '/other/status' } }])).not.toBe(
      text,
    );
  });

  it('keeps the protocol under one versioned prefix', () => {
    expect(Object.values(AGENT_PROTOCOL_PATHS).every((p) => p.startsWith('/agent/v1/'))).toBe(true);
  });
});
