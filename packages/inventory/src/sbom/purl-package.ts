import { osEcosystem, packageManagerFamily } from '@patchwarden/core';
import type { InstalledPackage, OsRelease, PackageManager } from '@patchwarden/core';
import { PackageURL } from 'packageurl-js';
import { parseSourceRpm } from '../rpm/rpm-qa.ts';

/** What an SBOM says about one component besides its purl. */
export interface ComponentHints {
  file: string;
  line?: number;
  /** Version written next to the purl (CycloneDX `version`, SPDX `versionInfo`). */
  version?: string;
  sourceName?: string;
  sourceVersion?: string;
  /** The operating system the SBOM itself declares, for OS packages whose purl has no distro. */
  os?: OsRelease;
}

interface LanguageType {
  ecosystem: string;
  manager: PackageManager;
  /** How the OSV ecosystem spells a name from the purl's namespace and name. */
  name: (namespace: string | undefined, name: string) => string;
}

const joinSlash = (namespace: string | undefined, name: string): string =>
  namespace ? `${namespace}/${name}` : name;

/** purl types (package-url/purl-spec PURL-TYPES) to OSV ecosystems. */
const LANGUAGE_TYPES: Readonly<Record<string, LanguageType>> = {
  npm: { ecosystem: 'npm', manager: 'npm', name: joinSlash },
  // OSV keys PyPI by the PEP 503 normalised name.
  pypi: {
    ecosystem: 'PyPI',
    manager: 'pypi',
    name: (_ns, name) => name.toLowerCase().replace(/[-_.]+/g, '-'),
  },
  maven: { ecosystem: 'Maven', manager: 'maven', name: (ns, name) => (ns ? `${ns}:${name}` : name) },
  golang: { ecosystem: 'Go', manager: 'go', name: joinSlash },
  gem: { ecosystem: 'RubyGems', manager: 'gem', name: (_ns, name) => name },
  cargo: { ecosystem: 'crates.io', manager: 'cargo', name: (_ns, name) => name },
  nuget: { ecosystem: 'NuGet', manager: 'nuget', name: (_ns, name) => name },
  composer: { ecosystem: 'Packagist', manager: 'composer', name: joinSlash },
  hex: { ecosystem: 'Hex', manager: 'unknown', name: (_ns, name) => name },
  pub: { ecosystem: 'Pub', manager: 'unknown', name: (_ns, name) => name },
  bitnami: { ecosystem: 'Bitnami', manager: 'unknown', name: (_ns, name) => name },
};

const OS_TYPES: Readonly<Record<string, 'dpkg' | 'rpm' | 'apk'>> = { deb: 'dpkg', rpm: 'rpm', apk: 'apk' };

/** Distro names used in purl namespaces and `distro=` qualifiers that differ from os-release IDs. */
const DISTRO_IDS: Readonly<Record<string, string>> = {
  redhat: 'rhel',
  alma: 'almalinux',
  rockylinux: 'rocky',
  amazon: 'amzn',
  oracle: 'ol',
  opensuse: 'opensuse-leap',
  suse: 'sles',
};

/**
 * One SBOM component, identified by its purl, as an installed package; `warn` hears why it cannot
 * be one, or what looks wrong about it. The purl is kept verbatim; the name is spelled the way OSV
 * spells it in that ecosystem (`group:artifact` for Maven, `module/path` for Go). The purl's
 * version wins over the component's own version field, which is only a fallback.
 */
export function packageFromPurl(
  purl: string,
  hints: ComponentHints,
  warn: (message: string) => void,
): InstalledPackage | undefined {
  const pkg = fromPurl(purl, hints);
  if (typeof pkg === 'string') {
    warn(pkg);
    return undefined;
  }
  if (hints.version && !sameVersion(hints.version, pkg.version)) {
    warn(
      `${clip(purl)}: the component says version "${hints.version}", the purl "${pkg.version}"; using the purl`,
    );
  }
  return pkg;
}

/**
 * Whether a component's own version agrees with the purl's: SBOM tools differ in whether they
 * write the epoch (`1:2.3-4`) and, in SPDX 2.2 from Trivy, the release (`4.2.46` for `4.2.46-31.el7`).
 */
function sameVersion(declared: string, fromPurl: string): boolean {
  const epoch = (v: string): string | undefined => /^(\d+):/.exec(v)?.[1];
  const [a, b] = [epoch(declared), epoch(fromPurl)];
  if (a !== undefined && b !== undefined && a !== b) return false;
  const bare = (v: string): string => v.replace(/^\d+:/, '');
  return bare(declared) === bare(fromPurl) || bare(fromPurl).startsWith(`${bare(declared)}-`);
}

function fromPurl(purl: string, hints: ComponentHints): InstalledPackage | string {
  let parsed: PackageURL;
  try {
    parsed = PackageURL.fromString(purl);
  } catch (cause) {
    return `invalid purl "${clip(purl)}": ${cause instanceof Error ? cause.message : String(cause)}`;
  }
  const namespace = parsed.namespace ?? undefined;
  const location = hints.line === undefined ? { file: hints.file } : { file: hints.file, line: hints.line };
  const language = LANGUAGE_TYPES[parsed.type];
  if (language) {
    const version = parsed.version ?? hints.version;
    if (!version) return `${purl}: no version in the purl or the component`;
    return {
      ecosystem: language.ecosystem,
      name: language.name(namespace, parsed.name),
      version,
      purl,
      kind: 'language',
      packageManager: language.manager,
      location,
    };
  }
  const manager = OS_TYPES[parsed.type];
  if (!manager) return `${purl}: purl type "${parsed.type}" has no advisory ecosystem, skipped`;
  const qualifiers: Record<string, string> = parsed.qualifiers ?? {};
  const baseVersion = parsed.version ?? hints.version;
  if (!baseVersion) return `${purl}: no version in the purl or the component`;
  const epoch = qualifiers['epoch'];
  // Trivy writes the epoch as a qualifier, Syft inside the version; rpm and dpkg order on it.
  const version =
    epoch && epoch !== '0' && !baseVersion.includes(':') ? `${epoch}:${baseVersion}` : baseVersion;
  const pkg: InstalledPackage = {
    name: parsed.name,
    version,
    purl,
    kind: 'os',
    packageManager: manager,
    location,
  };
  const arch = qualifiers['arch'];
  if (arch) pkg.arch = arch;
  const ecosystem = osEcosystemFor(manager, namespace, qualifiers['distro'], hints.os);
  if (ecosystem) pkg.ecosystem = ecosystem;
  const source = upstream(qualifiers['upstream']);
  const sourceName = hints.sourceName ?? source?.name;
  const sourceVersion = hints.sourceVersion ?? source?.version;
  if (sourceName) pkg.sourceName = sourceName;
  if (sourceVersion) pkg.sourceVersion = sourceVersion;
  return pkg;
}

/**
 * The distro of an OS package: the purl's `distro=` qualifier (`ubuntu-22.04`, `alpine-3.19.1`,
 * `rhel-9.1`; Trivy writes only the release for Alpine, `3.16.0`, and some tools a codename,
 * `bookworm`), else the SBOM's own operating system if it uses the same package manager.
 */
function osEcosystemFor(
  manager: 'dpkg' | 'rpm' | 'apk',
  namespace: string | undefined,
  distro: string | undefined,
  declared: OsRelease | undefined,
): string | undefined {
  if (distro) {
    const match = /^(?:([a-z][a-z0-9._-]*?)-)?(\d[0-9A-Za-z._]*)$/i.exec(distro);
    const id = distroId(match ? (match[1] ?? namespace) : namespace);
    if (id) {
      const os: OsRelease = match?.[2]
        ? { id, versionId: match[2], idLike: [] }
        : { id, versionCodename: distro, idLike: [] };
      return osEcosystem(os);
    }
  }
  if (declared && packageManagerFamily(declared) === manager) return osEcosystem(declared);
  return undefined;
}

function distroId(name: string | undefined): string | undefined {
  if (!name) return undefined;
  const lower = name.toLowerCase();
  return DISTRO_IDS[lower] ?? lower;
}

/**
 * The purl `upstream` qualifier names the source package: `util-linux`, `util-linux@2.38.1-5`
 * (Syft, deb) or the source RPM file `openssl-3.0.7-27.el9.src.rpm` (Syft, rpm).
 */
function upstream(value: string | undefined): { name: string; version?: string } | undefined {
  if (!value) return undefined;
  const srpm = parseSourceRpm(value);
  if (srpm) return { name: srpm.name, version: srpm.versionRelease };
  const at = value.indexOf('@');
  return at > 0 ? { name: value.slice(0, at), version: value.slice(at + 1) } : { name: value };
}

function clip(text: string): string {
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}
