import { osEcosystem, pwError } from '@patchwarden/core';
import type {
  HostFacts,
  InstalledPackage,
  InventoryFragment,
  OsRelease,
  PackageManager,
} from '@patchwarden/core';
import { JsonKeyLocator } from '../internal/json-key-locator.ts';
import { parseJson } from '../internal/parse-json.ts';
import { arrayField, isRecord, recordField, stringField } from '../internal/records.ts';
import type { JsonRecord } from '../internal/records.ts';

interface Family {
  id: string;
  idLike: string[];
  manager: PackageManager;
}

const RHEL_LIKE = ['rhel', 'centos', 'fedora'];

/** Vuls `family` values (constant/constant.go) to os-release IDs. */
const FAMILIES: Readonly<Record<string, Family>> = {
  ubuntu: { id: 'ubuntu', idLike: ['debian'], manager: 'dpkg' },
  debian: { id: 'debian', idLike: [], manager: 'dpkg' },
  raspbian: { id: 'raspbian', idLike: ['debian'], manager: 'dpkg' },
  alma: { id: 'almalinux', idLike: RHEL_LIKE, manager: 'rpm' },
  rocky: { id: 'rocky', idLike: RHEL_LIKE, manager: 'rpm' },
  redhat: { id: 'rhel', idLike: ['fedora'], manager: 'rpm' },
  centos: { id: 'centos', idLike: ['rhel', 'fedora'], manager: 'rpm' },
  fedora: { id: 'fedora', idLike: [], manager: 'rpm' },
  amazon: { id: 'amzn', idLike: ['centos', 'rhel', 'fedora'], manager: 'rpm' },
  oracle: { id: 'ol', idLike: ['fedora'], manager: 'rpm' },
  'opensuse.leap': { id: 'opensuse-leap', idLike: ['suse', 'opensuse'], manager: 'rpm' },
  opensuse: { id: 'opensuse-tumbleweed', idLike: ['suse', 'opensuse'], manager: 'rpm' },
  'suse.linux.enterprise.server': { id: 'sles', idLike: ['suse'], manager: 'rpm' },
  'suse.linux.enterprise.desktop': { id: 'sled', idLike: ['suse'], manager: 'rpm' },
  alpine: { id: 'alpine', idLike: [], manager: 'apk' },
};

/**
 * A Vuls scan result (`results/<date>/<server>.json`). It carries the whole host: OS family and
 * release, addresses, running kernel, binary packages and the source packages they come from.
 * Because the OS is known here, OS packages get their advisory ecosystem straight away.
 *
 * Versions: dpkg and apk keep `version` as printed; rpm joins `version` (which already holds
 * the epoch, `1:1.36.0`) and `release` into `1:1.36.0-4.el9_0`, with epoch 0 left out like
 * parseRpmQa does. `serverName` is the name Vuls was configured with, used as the hostname.
 */
export function parseVulsScan(text: string, file: string): InventoryFragment {
  const doc = parseJson('vuls-scan', file, text);
  if (!isRecord(doc) || typeof doc['family'] !== 'string') {
    throw pwError('PW_ERR_INVALID_RECORD', `${file}: not a Vuls scan result (no "family")`, {
      file,
      field: 'family',
    });
  }
  const warnings: string[] = [];
  const familyName = doc['family'].toLowerCase();
  const family = FAMILIES[familyName];
  if (!family) warnings.push(`unknown Vuls family "${familyName}": packages kept without a package manager`);
  const os: OsRelease = { id: family?.id ?? familyName, idLike: [...(family?.idLike ?? [])] };
  const release = stringField(doc, 'release');
  if (release) os.versionId = release;
  const manager = family?.manager ?? 'unknown';
  const ecosystem = osEcosystem(os);

  const sources = sourceIndex(recordField(doc, 'SrcPackages'));
  const locator = new JsonKeyLocator(text);
  const packagesRecord = recordField(doc, 'packages') ?? {};
  if (Object.keys(packagesRecord).length > 0) locator.next('packages');
  const packages: InstalledPackage[] = [];
  for (const [key, value] of Object.entries(packagesRecord)) {
    const line = locator.next(key);
    if (!isRecord(value)) {
      warnings.push(`packages.${key}: not an object, skipped`);
      continue;
    }
    const name = stringField(value, 'name') ?? key;
    const rawVersion = stringField(value, 'version');
    if (!rawVersion) {
      warnings.push(`packages.${key}: no version, skipped`);
      continue;
    }
    const releasePart = stringField(value, 'release');
    const version = manager === 'rpm' ? rpmEvr(rawVersion, releasePart) : rawVersion;
    const pkg: InstalledPackage = {
      name,
      version,
      kind: 'os',
      packageManager: manager,
      location: line === undefined ? { file } : { file, line },
    };
    if (ecosystem) pkg.ecosystem = ecosystem;
    const source = sources.get(name);
    if (source) {
      pkg.sourceName = source.name;
      if (source.version)
        pkg.sourceVersion = manager === 'rpm' ? withoutZeroEpoch(source.version) : source.version;
    } else if (manager !== 'rpm') {
      // dpkg and apk name the source only when it differs; rpm's gpg-pubkey has none at all.
      pkg.sourceName = name;
      pkg.sourceVersion = version;
    }
    const arch = stringField(value, 'arch');
    if (arch && arch !== '(none)') pkg.arch = arch;
    packages.push(pkg);
  }

  const fragment: InventoryFragment = { format: 'vuls-scan', file, os, packages, warnings };
  const host = hostFacts(doc);
  if (host) fragment.host = host;
  return fragment;
}

function sourceIndex(srcPackages: JsonRecord | undefined): Map<string, { name: string; version?: string }> {
  const byBinary = new Map<string, { name: string; version?: string }>();
  for (const [key, value] of Object.entries(srcPackages ?? {})) {
    if (!isRecord(value)) continue;
    const name = stringField(value, 'name') ?? key;
    const version = stringField(value, 'version');
    for (const binary of arrayField(value, 'binaryNames')) {
      if (typeof binary === 'string' && !byBinary.has(binary)) {
        byBinary.set(binary, version ? { name, version } : { name });
      }
    }
  }
  return byBinary;
}

function hostFacts(doc: JsonRecord): HostFacts | undefined {
  const host: HostFacts = {};
  const serverName = stringField(doc, 'serverName');
  if (serverName) host.hostname = serverName;
  const ips = [...arrayField(doc, 'ipv4Addrs'), ...arrayField(doc, 'ipv6Addrs')].filter(
    (ip): ip is string => typeof ip === 'string' && ip !== '',
  );
  if (ips.length > 0) host.ips = ips;
  const kernel = recordField(doc, 'runningKernel');
  const kernelRelease = kernel && stringField(kernel, 'release');
  if (kernelRelease) host.kernel = kernelRelease;
  return Object.keys(host).length > 0 ? host : undefined;
}

function rpmEvr(version: string, release: string | undefined): string {
  return withoutZeroEpoch(release ? `${version}-${release}` : version);
}

function withoutZeroEpoch(evr: string): string {
  return evr.replace(/^0+:/, '');
}
