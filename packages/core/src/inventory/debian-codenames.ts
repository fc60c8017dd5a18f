/**
 * Debian codenames -> release version as distro-info-data spells it (the OSV schema defers to that
 * list): `7`..`15`, and `1.1`..`6.0` for the older ones. Used wherever only a codename is known: a
 * host's os-release before its release (testing), and distro feeds keyed by codename.
 */
export const DEBIAN_VERSION_BY_CODENAME: Readonly<Record<string, string>> = Object.freeze({
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
