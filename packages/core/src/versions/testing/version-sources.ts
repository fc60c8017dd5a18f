/**
 * Pulls real version strings out of the formats our test data comes in, grouped by package so
 * that oracle tests can pair versions that are close to each other. Test and benchmark support
 * only: pure functions over text; the callers read the files.
 *
 * The extractors are deliberately small and forgiving (they feed tests, they are not the
 * inventory or feed parsers): they skip what they do not recognise.
 */

/** Package name -> the distinct versions seen for it. */
export type PackageVersions = Map<string, Set<string>>;

export function addVersion(into: PackageVersions, name: string, version: string): void {
  if (version === '') return;
  let versions = into.get(name);
  if (versions === undefined) {
    versions = new Set();
    into.set(name, versions);
  }
  versions.add(version);
}

export function mergeVersions(into: PackageVersions, from: PackageVersions): PackageVersions {
  for (const [name, versions] of from) for (const version of versions) addVersion(into, name, version);
  return into;
}

export function countVersions(groups: PackageVersions): number {
  let count = 0;
  for (const versions of groups.values()) count += versions.size;
  return count;
}

/**
 * Debian control stanzas (apt `Packages` lists, `/var/lib/dpkg/status`). Versions are grouped by
 * source package, and a binNMU's `Source: name (version)` adds the source version too.
 */
export function debControlVersions(text: string): PackageVersions {
  const out: PackageVersions = new Map();
  let pkg = '';
  let source = '';
  let sourceVersion = '';
  let version = '';
  const flush = (): void => {
    const name = source || pkg;
    if (name && version) addVersion(out, name, version);
    if (name && sourceVersion) addVersion(out, name, sourceVersion);
    pkg = source = sourceVersion = version = '';
  };
  for (const line of text.split('\n')) {
    if (line === '' || line === '\r') {
      flush();
    } else if (line.startsWith('Package:')) {
      pkg = line.slice(8).trim();
    } else if (line.startsWith('Source:')) {
      const match = /^Source:\s*(\S+)(?:\s+\(([^)]+)\))?/.exec(line);
      source = match?.[1] ?? '';
      sourceVersion = match?.[2]?.trim() ?? '';
    } else if (line.startsWith('Version:')) {
      version = line.slice(8).trim();
    }
  }
  flush();
  return out;
}

/**
 * Ubuntu CVE Tracker files: `bionic_openssl: released (1.1.1-1ubuntu2.1~18.04.6)`. A few lines
 * list several versions in the parentheses; each becomes one version of the package.
 */
export function uctReleasedVersions(text: string): PackageVersions {
  const out: PackageVersions = new Map();
  const pattern = /^(\S+)_([a-z0-9][a-z0-9+.-]*): released \(([^)\n]*)\)/gm;
  for (const match of text.matchAll(pattern)) {
    const name = match[2] ?? '';
    for (const token of (match[3] ?? '').split(/[\s,]+/)) {
      if (token !== '' && token !== 'and') addVersion(out, name, token);
    }
  }
  return out;
}

/** Debian security tracker DSA/DLA/DTSA lists: `\t[bullseye] - xorg-server 2:1.20.11-1+deb11u6`. */
export function debianSecurityListVersions(text: string): PackageVersions {
  const out: PackageVersions = new Map();
  for (const match of text.matchAll(/^\s+\[[a-z-]+\] - (\S+) ([^\s<]\S*)/gm)) {
    addVersion(out, match[1] ?? '', match[2] ?? '');
  }
  return out;
}

interface VulsPackage {
  name?: string;
  version?: string;
  release?: string;
  newVersion?: string;
  newRelease?: string;
}

function evr(version: string | undefined, release: string | undefined): string {
  if (!version) return '';
  return release ? `${version}-${release}` : version;
}

/**
 * Vuls scan results: installed and available versions of each package, plus source packages.
 * RPM families keep the release apart (`version` "1:1.36.0", `release` "4.el9_0"), so both are
 * joined into one EVR.
 */
export function vulsScanVersions(json: string): PackageVersions {
  const out: PackageVersions = new Map();
  const scan = JSON.parse(json) as {
    packages?: Record<string, VulsPackage>;
    SrcPackages?: Record<string, VulsPackage>;
  };
  for (const p of Object.values(scan.packages ?? {})) {
    if (!p.name) continue;
    addVersion(out, p.name, evr(p.version, p.release));
    addVersion(out, p.name, evr(p.newVersion, p.newRelease));
  }
  for (const p of Object.values(scan.SrcPackages ?? {})) {
    if (p.name) addVersion(out, p.name, evr(p.version, p.release));
  }
  return out;
}

/** Installed -> available upgrade pairs from a Vuls scan, for checks that "new" is not older. */
export function vulsUpgradePairs(json: string): [installed: string, available: string][] {
  const scan = JSON.parse(json) as { packages?: Record<string, VulsPackage> };
  const pairs: [string, string][] = [];
  for (const p of Object.values(scan.packages ?? {})) {
    const installed = evr(p.version, p.release);
    const available = evr(p.newVersion, p.newRelease);
    if (installed && available) pairs.push([installed, available]);
  }
  return pairs;
}

interface OsvRecord {
  affected?: {
    package?: { name?: string };
    ranges?: { events?: Record<string, string>[] }[];
    versions?: string[];
  }[];
}

/** OSV records (JSON Lines): every introduced/fixed/last_affected version and listed version. */
export function osvVersions(jsonl: string): PackageVersions {
  const out: PackageVersions = new Map();
  for (const line of jsonl.split('\n')) {
    if (line.trim() === '') continue;
    const record = JSON.parse(line) as OsvRecord;
    for (const affected of record.affected ?? []) {
      const name = affected.package?.name;
      if (!name) continue;
      for (const range of affected.ranges ?? []) {
        for (const event of range.events ?? []) {
          for (const value of Object.values(event)) if (value !== '0') addVersion(out, name, value);
        }
      }
      for (const version of affected.versions ?? []) addVersion(out, name, version);
    }
  }
  return out;
}

/** Alpine's `/lib/apk/db/installed`: `P:` name then `V:` version per package. */
export function apkInstalledVersions(text: string): PackageVersions {
  const out: PackageVersions = new Map();
  let name = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('P:')) name = line.slice(2).trim();
    else if (line.startsWith('V:') && name) addVersion(out, name, line.slice(2).trim());
  }
  return out;
}

/** Alpine secdb YAML: the keys under each package's `secfixes:` are fixed versions. */
export function alpineSecdbVersions(yaml: string): PackageVersions {
  const out: PackageVersions = new Map();
  let name = '';
  let inSecfixes = false;
  for (const line of yaml.split('\n')) {
    const nameMatch = /^\s+name:\s*(\S+)/.exec(line);
    if (nameMatch) {
      name = nameMatch[1] ?? '';
      inSecfixes = false;
      continue;
    }
    if (/^\s+secfixes:\s*$/.test(line)) {
      inSecfixes = true;
      continue;
    }
    const keyMatch = /^\s{8}"?([^"\s:][^":]*?)"?:\s*$/.exec(line);
    if (inSecfixes && name && keyMatch) addVersion(out, name, keyMatch[1] ?? '');
  }
  return out;
}

/** Trivy JSON reports: installed and fixed version of each finding (comma lists split). */
export function trivyReportVersions(json: string): PackageVersions {
  const out: PackageVersions = new Map();
  const report = JSON.parse(json) as {
    Results?: {
      Vulnerabilities?: { PkgName?: string; InstalledVersion?: string; FixedVersion?: string }[];
    }[];
  };
  for (const result of report.Results ?? []) {
    for (const v of result.Vulnerabilities ?? []) {
      if (!v.PkgName) continue;
      addVersion(out, v.PkgName, v.InstalledVersion ?? '');
      for (const fixed of (v.FixedVersion ?? '').split(/,\s*/)) addVersion(out, v.PkgName, fixed);
    }
  }
  return out;
}

/** Regular files of a POSIX (ustar) tar archive, as name and bytes. */
export function* tarEntries(archive: Uint8Array): Generator<{ name: string; data: Uint8Array }> {
  const decoder = new TextDecoder();
  const field = (offset: number, length: number): string => {
    const bytes = archive.subarray(offset, offset + length);
    const nul = bytes.indexOf(0);
    return decoder.decode(nul < 0 ? bytes : bytes.subarray(0, nul));
  };
  let offset = 0;
  while (offset + 512 <= archive.length) {
    const name = field(offset, 100);
    if (name === '') break;
    const size = Number.parseInt(field(offset + 124, 12).trim() || '0', 8);
    const type = field(offset + 156, 1);
    const prefix = field(offset + 345, 155);
    const start = offset + 512;
    if (type === '0' || type === '') {
      yield { name: prefix ? `${prefix}/${name}` : name, data: archive.subarray(start, start + size) };
    }
    offset = start + Math.ceil(size / 512) * 512;
  }
}
