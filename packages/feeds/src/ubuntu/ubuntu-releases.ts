/**
 * Ubuntu codenames -> OSV ecosystem as Ubuntu's own OSV feed writes it: `Ubuntu:22.04:LTS` for
 * LTS releases, `Ubuntu:19.10` otherwise, and `Ubuntu:Pro:16.04:LTS` for the ESM (Ubuntu Pro)
 * pockets that UCT spells `trusty/esm`, `esm-infra/xenial`, `esm-apps/focal`...
 */
const RELEASES: Readonly<Record<string, { version: string; lts: boolean }>> = Object.freeze({
  warty: { version: '4.10', lts: false },
  hoary: { version: '5.04', lts: false },
  breezy: { version: '5.10', lts: false },
  dapper: { version: '6.06', lts: true },
  edgy: { version: '6.10', lts: false },
  feisty: { version: '7.04', lts: false },
  gutsy: { version: '7.10', lts: false },
  hardy: { version: '8.04', lts: true },
  intrepid: { version: '8.10', lts: false },
  jaunty: { version: '9.04', lts: false },
  karmic: { version: '9.10', lts: false },
  lucid: { version: '10.04', lts: true },
  maverick: { version: '10.10', lts: false },
  natty: { version: '11.04', lts: false },
  oneiric: { version: '11.10', lts: false },
  precise: { version: '12.04', lts: true },
  quantal: { version: '12.10', lts: false },
  raring: { version: '13.04', lts: false },
  saucy: { version: '13.10', lts: false },
  trusty: { version: '14.04', lts: true },
  utopic: { version: '14.10', lts: false },
  vivid: { version: '15.04', lts: false },
  wily: { version: '15.10', lts: false },
  xenial: { version: '16.04', lts: true },
  yakkety: { version: '16.10', lts: false },
  zesty: { version: '17.04', lts: false },
  artful: { version: '17.10', lts: false },
  bionic: { version: '18.04', lts: true },
  cosmic: { version: '18.10', lts: false },
  disco: { version: '19.04', lts: false },
  eoan: { version: '19.10', lts: false },
  focal: { version: '20.04', lts: true },
  groovy: { version: '20.10', lts: false },
  hirsute: { version: '21.04', lts: false },
  impish: { version: '21.10', lts: false },
  jammy: { version: '22.04', lts: true },
  kinetic: { version: '22.10', lts: false },
  lunar: { version: '23.04', lts: false },
  mantic: { version: '23.10', lts: false },
  noble: { version: '24.04', lts: true },
  oracular: { version: '24.10', lts: false },
  plucky: { version: '25.04', lts: false },
  questing: { version: '25.10', lts: false },
  resolute: { version: '26.04', lts: true },
});

/** Tracker rows that are not an installable release: upstream status, the devel series, snaps... */
const PSEUDO_RELEASES = new Set(['upstream', 'devel', 'product', 'snap']);
const ESM_PREFIXES = new Set(['esm', 'esm-infra', 'esm-apps', 'esm-infra-legacy', 'esm-apps-legacy']);

export type UbuntuRelease = { kind: 'release'; ecosystem: string } | { kind: 'skip' } | { kind: 'unknown' };

function ecosystemOf(codename: string, pro: boolean): string | undefined {
  const release = RELEASES[codename];
  if (!release) return undefined;
  return `Ubuntu:${pro ? 'Pro:' : ''}${release.version}${release.lts ? ':LTS' : ''}`;
}

/** `bionic`, `trusty/esm`, `esm-infra/xenial`; other pockets (`vivid/ubuntu-core`, fips...) are skipped. */
export function ubuntuRelease(name: string): UbuntuRelease {
  if (PSEUDO_RELEASES.has(name)) return { kind: 'skip' };
  const [first = '', second, ...more] = name.split('/');
  if (more.length > 0) return { kind: 'unknown' };
  if (second === undefined) {
    const ecosystem = ecosystemOf(first, false);
    return ecosystem ? { kind: 'release', ecosystem } : { kind: 'unknown' };
  }
  if (ESM_PREFIXES.has(first) || ESM_PREFIXES.has(second)) {
    const ecosystem = ecosystemOf(ESM_PREFIXES.has(first) ? second : first, true);
    return ecosystem ? { kind: 'release', ecosystem } : { kind: 'unknown' };
  }
  // Pockets of a known release that no host reports in os-release: vivid/ubuntu-core, fips/...
  return RELEASES[first] || RELEASES[second] ? { kind: 'skip' } : { kind: 'unknown' };
}
