import type { OsRelease } from './installed-package.ts';
import { DEBIAN_VERSION_BY_CODENAME } from './debian-codenames.ts';

/**
 * Distro advisories in OSV are scoped by release through the ecosystem string, so a host's
 * os-release has to be turned into exactly the string the feed uses. Forms follow the OSV schema's
 * ecosystem table (ossf/osv-schema docs/schema.md) and real records: `Ubuntu:22.04:LTS`,
 * `Ubuntu:24.10`, `Debian:12`, `Alpine:v3.19`, `AlmaLinux:9`, `Rocky Linux:9`,
 * `openSUSE:Leap 15.5`, `SUSE:Linux Enterprise Server 15 SP5`, `Mageia:9`, `Photon OS:5.0`.
 *
 * Red Hat is the exception: OSV scopes it by product stream *and* repository
 * (`Red Hat:enterprise_linux:9::baseos`, `...::appstream`, `...::crb`), which os-release cannot
 * tell. For RHEL we return the stream prefix `Red Hat:enterprise_linux:9`; whoever matches must
 * accept any `::<repository>` suffix after it.
 *
 * Distros with no OSV ecosystem (CentOS, Fedora, Amazon Linux, Oracle Linux, ...) and releases that
 * cannot be pinned down (Debian sid, an os-release without VERSION_ID) give `undefined`: guessing
 * would match the wrong release's fixes.
 */
export function osEcosystem(os: OsRelease): string | undefined {
  const id = os.id.toLowerCase();
  const version = os.versionId?.trim();
  switch (id) {
    case 'ubuntu':
      return ubuntu(version);
    case 'debian':
      return debian(version, os.versionCodename);
    case 'alpine': {
      const mm = majorMinor(version);
      return mm && `Alpine:v${mm}`;
    }
    case 'almalinux': {
      const major = majorOf(version);
      return major && `AlmaLinux:${major}`;
    }
    case 'rocky': {
      const major = majorOf(version);
      return major && `Rocky Linux:${major}`;
    }
    case 'rhel': {
      const major = majorOf(version);
      return major && `Red Hat:enterprise_linux:${major}`;
    }
    case 'opensuse-leap':
      return suseFamily('openSUSE', os.prettyName) ?? (majorMinor(version) && `openSUSE:Leap ${version}`);
    case 'opensuse-tumbleweed':
      return 'openSUSE:Tumbleweed';
    case 'sles':
    case 'sles_sap':
    case 'sled':
      return suseFamily('SUSE', os.prettyName) ?? slesFromVersion(version);
    case 'mageia': {
      const major = majorOf(version);
      return major && `Mageia:${major}`;
    }
    case 'photon': {
      const mm = majorMinor(version);
      return mm && `Photon OS:${mm}`;
    }
    case 'wolfi':
      return 'Wolfi';
    case 'chainguard':
      return 'Chainguard';
    default:
      return undefined;
  }
}

export type PackageManagerFamily = 'dpkg' | 'rpm' | 'apk';

const FAMILY_BY_ID: Readonly<Record<string, PackageManagerFamily>> = {
  debian: 'dpkg',
  ubuntu: 'dpkg',
  raspbian: 'dpkg',
  rhel: 'rpm',
  centos: 'rpm',
  fedora: 'rpm',
  almalinux: 'rpm',
  rocky: 'rpm',
  ol: 'rpm',
  amzn: 'rpm',
  suse: 'rpm',
  sles: 'rpm',
  sles_sap: 'rpm',
  sled: 'rpm',
  'opensuse-leap': 'rpm',
  'opensuse-tumbleweed': 'rpm',
  opensuse: 'rpm',
  mageia: 'rpm',
  photon: 'rpm',
  openeuler: 'rpm',
  mariner: 'rpm',
  azurelinux: 'rpm',
  alpine: 'apk',
  wolfi: 'apk',
  chainguard: 'apk',
};

/**
 * Which package database a host keeps. Derivatives (Linux Mint, Pop!_OS, Oracle Linux clones...)
 * are recognised through ID_LIKE, which names the parent distribution.
 */
export function packageManagerFamily(os: OsRelease): PackageManagerFamily | undefined {
  for (const id of [os.id, ...os.idLike]) {
    const family = FAMILY_BY_ID[id.toLowerCase()];
    if (family) return family;
  }
  return undefined;
}

function ubuntu(version: string | undefined): string | undefined {
  const match = /^(\d{2})\.(\d{2})/.exec(version ?? '');
  if (!match) return undefined;
  const [, year = '', month = ''] = match;
  // Canonical ships an LTS every second April: 14.04, 16.04, ... 24.04, 26.04.
  const lts = Number(year) % 2 === 0 && month === '04';
  return `Ubuntu:${year}.${month}${lts ? ':LTS' : ''}`;
}

function debian(version: string | undefined, codename: string | undefined): string | undefined {
  const major = majorOf(version);
  if (major) return `Debian:${major}`;
  const fromCodename = codename ? DEBIAN_VERSION_BY_CODENAME[codename.toLowerCase()] : undefined;
  return fromCodename && `Debian:${fromCodename}`;
}

/** OSV's SUSE and openSUSE ecosystems are the PRETTY_NAME without the vendor word. */
function suseFamily(family: 'SUSE' | 'openSUSE', prettyName: string | undefined): string | undefined {
  const pretty = prettyName?.trim();
  if (!pretty || !pretty.startsWith(`${family} `)) return undefined;
  return `${family}:${pretty.slice(family.length + 1)}`;
}

function slesFromVersion(version: string | undefined): string | undefined {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(version ?? '');
  if (!match) return undefined;
  const sp = match[2] && match[2] !== '0' ? ` SP${match[2]}` : '';
  return `SUSE:Linux Enterprise Server ${match[1]}${sp}`;
}

function majorOf(version: string | undefined): string | undefined {
  return /^(\d+)(?:\.|$)/.exec(version ?? '')?.[1];
}

function majorMinor(version: string | undefined): string | undefined {
  const match = /^(\d+)\.(\d+)/.exec(version ?? '');
  return match ? `${match[1]}.${match[2]}` : undefined;
}
