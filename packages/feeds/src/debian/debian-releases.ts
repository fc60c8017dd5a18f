/**
 * Debian codenames -> OSV ecosystem `Debian:<version>`, the version as distro-info-data spells it
 * (the OSV schema defers to that list): `7`..`15`, and `4.0`/`5.0`/`6.0` for the older ones.
 */
const DEBIAN_VERSIONS: Readonly<Record<string, string>> = Object.freeze({
  buzz: '1.1',
  rex: '1.2',
  bo: '1.3',
  hamm: '2.0',
  slink: '2.1',
  potato: '2.2',
  woody: '3.0',
  sarge: '3.1',
  etch: '4.0',
  lenny: '5.0',
  squeeze: '6.0',
  wheezy: '7',
  jessie: '8',
  stretch: '9',
  buster: '10',
  bullseye: '11',
  bookworm: '12',
  trixie: '13',
  forky: '14',
  duke: '15',
});

/** Rolling suites have no version a host can report in os-release, so nothing can match them. */
const ROLLING = new Set(['sid', 'unstable', 'experimental', 'testing']);

export type DebianRelease =
  { kind: 'release'; ecosystem: string } | { kind: 'rolling' } | { kind: 'unknown' };

export function debianRelease(codename: string): DebianRelease {
  const name = codename.toLowerCase();
  const version = DEBIAN_VERSIONS[name];
  if (version !== undefined) return { kind: 'release', ecosystem: `Debian:${version}` };
  return ROLLING.has(name) ? { kind: 'rolling' } : { kind: 'unknown' };
}
