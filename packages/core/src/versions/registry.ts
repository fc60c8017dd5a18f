import { pwError } from '../errors/index.ts';
import { apkScheme } from './apk.ts';
import { cargoScheme } from './cargo.ts';
import { dpkgScheme } from './dpkg.ts';
import { goScheme } from './go.ts';
import { mavenScheme } from './maven.ts';
import { nugetScheme } from './nuget.ts';
import { packagistScheme } from './packagist.ts';
import { pep440Scheme } from './pep440.ts';
import { rpmScheme } from './rpm.ts';
import { rubygemsScheme } from './rubygems.ts';
import { semverScheme } from './semver.ts';
import type { VersionScheme, VersionSchemeId } from './version-scheme.ts';

const SCHEMES: Readonly<Record<VersionSchemeId, VersionScheme>> = Object.freeze({
  dpkg: dpkgScheme,
  rpm: rpmScheme,
  apk: apkScheme,
  semver: semverScheme,
  pep440: pep440Scheme,
  maven: mavenScheme,
  go: goScheme,
  rubygems: rubygemsScheme,
  cargo: cargoScheme,
  nuget: nugetScheme,
  packagist: packagistScheme,
});

export function schemeById(id: VersionSchemeId): VersionScheme {
  const scheme = SCHEMES[id];
  if (!scheme) throw pwError('PW_ERR_UNKNOWN_VERSION_SCHEME', `No version scheme "${id}"`, { scheme: id });
  return scheme;
}

/** OSV ecosystem name (without its `:release` suffix) -> version ordering. */
const ECOSYSTEM_SCHEMES: Readonly<Record<string, VersionSchemeId>> = Object.freeze({
  Debian: 'dpkg',
  Ubuntu: 'dpkg',
  AlmaLinux: 'rpm',
  'Rocky Linux': 'rpm',
  'Red Hat': 'rpm',
  CentOS: 'rpm',
  Fedora: 'rpm',
  openSUSE: 'rpm',
  SUSE: 'rpm',
  'Oracle Linux': 'rpm',
  Mageia: 'rpm',
  openEuler: 'rpm',
  'Amazon Linux': 'rpm',
  Photon: 'rpm',
  Alpine: 'apk',
  Wolfi: 'apk',
  Chainguard: 'apk',
  npm: 'semver',
  Hex: 'semver',
  Pub: 'semver',
  'crates.io': 'cargo',
  Go: 'go',
  PyPI: 'pep440',
  Maven: 'maven',
  RubyGems: 'rubygems',
  NuGet: 'nuget',
  Packagist: 'packagist',
});

/** `Ubuntu:22.04:LTS` -> `Ubuntu`; `npm` -> `npm`. */
export function ecosystemBase(ecosystem: string): string {
  const colon = ecosystem.indexOf(':');
  return colon < 0 ? ecosystem : ecosystem.slice(0, colon);
}

export function schemeIdForEcosystem(ecosystem: string): VersionSchemeId | undefined {
  return ECOSYSTEM_SCHEMES[ecosystemBase(ecosystem)];
}

/** The version order of an OSV ecosystem, or undefined when we know none (callers report it). */
export function schemeForEcosystem(ecosystem: string): VersionScheme | undefined {
  const id = schemeIdForEcosystem(ecosystem);
  return id === undefined ? undefined : SCHEMES[id];
}
