import { DEBIAN_VERSION_BY_CODENAME } from '@patchwarden/core';

/** Rolling suites have no version a host can report in os-release, so nothing can match them. */
const ROLLING = new Set(['sid', 'unstable', 'experimental', 'testing']);

export type DebianRelease =
  { kind: 'release'; ecosystem: string } | { kind: 'rolling' } | { kind: 'unknown' };

export function debianRelease(codename: string): DebianRelease {
  const name = codename.toLowerCase();
  const version = DEBIAN_VERSION_BY_CODENAME[name];
  if (version !== undefined) return { kind: 'release', ecosystem: `Debian:${version}` };
  return ROLLING.has(name) ? { kind: 'rolling' } : { kind: 'unknown' };
}
