import type { HostFacts, InstalledPackage, InventoryFragment, OsRelease } from './installed-package.ts';
import { osEcosystem } from './os-ecosystem.ts';

/** Everything known about one scanned target, from one or more input files. */
export interface HostInventory {
  name: string;
  os?: OsRelease;
  /** The distro ecosystem OS packages were resolved to (`Ubuntu:22.04:LTS`), if known. */
  osEcosystem?: string;
  facts: HostFacts;
  packages: InstalledPackage[];
  files: string[];
  warnings: string[];
}

/**
 * A file that names its own OS and packages (a Vuls scan) is a host of its own; the others
 * (a dpkg status, its os-release, lockfiles, SBOMs) describe one target together.
 */
export function assembleHosts(
  fragments: readonly InventoryFragment[],
  defaultName = 'local',
): HostInventory[] {
  const standalone = fragments.filter((f) => f.format === 'vuls-scan');
  const shared = fragments.filter((f) => f.format !== 'vuls-scan');
  const hosts = standalone.map((f) => assembleHost([f], f.host?.hostname ?? f.file));
  if (shared.length > 0) hosts.push(assembleHost(shared, defaultName));
  return hosts;
}

export function assembleHost(fragments: readonly InventoryFragment[], defaultName: string): HostInventory {
  const os = fragments.find((f) => f.os)?.os;
  const ecosystem = os ? osEcosystem(os) : undefined;
  const facts: HostFacts = {};
  for (const fragment of fragments) Object.assign(facts, fragment.host ?? {});
  const warnings = fragments.flatMap((f) => f.warnings.map((w) => `${f.file}: ${w}`));
  const osPackages = fragments.flatMap((f) => f.packages).filter((p) => p.kind === 'os' && !p.ecosystem);
  if (osPackages.length > 0 && !ecosystem) {
    warnings.push(
      os
        ? `no advisory ecosystem is known for OS "${os.id} ${os.versionId ?? ''}": ${osPackages.length} OS packages cannot be matched`
        : `${osPackages.length} OS packages but no os-release: pass /etc/os-release too so they can be matched`,
    );
  }
  const packages = fragments.flatMap((f) =>
    f.packages.map((p) => (p.kind === 'os' && !p.ecosystem && ecosystem ? { ...p, ecosystem } : p)),
  );
  const subject = fragments.find((f) => f.subject)?.subject;
  const subjectName = subject ? `${subject.name}${subject.version ? `@${subject.version}` : ''}` : undefined;
  const host: HostInventory = {
    name: facts.hostname ?? subjectName ?? defaultName,
    facts,
    packages,
    files: fragments.map((f) => f.file),
    warnings,
  };
  if (os) host.os = os;
  if (ecosystem) host.osEcosystem = ecosystem;
  return host;
}
