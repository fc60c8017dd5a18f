import type { InstalledPackage, InventoryFragment } from '@patchwarden/core';
import { parseStanzas } from '../internal/stanzas.ts';
import { stripBom } from '../internal/records.ts';

const FIELD = /^([A-Za-z0-9][A-Za-z0-9-]*):(.*)$/;

/**
 * `/var/lib/dpkg/status`. Only packages whose files are on disk at the recorded version count:
 * the state must be `installed` (or only waiting for triggers), whatever the selection is, so
 * `ii`, `hi` and also `ri` (selected for removal but still installed: its code is still there and
 * still exploitable). Removed packages that left their configuration behind
 * (`deinstall ok config-files`), half-installed and not-installed ones are skipped with a warning.
 *
 * No purl is set: a deb purl names the distro (`pkg:deb/ubuntu/...`), which the status file does
 * not know; the os-release fragment of the same host supplies it later.
 */
export function parseDpkgStatus(text: string, file: string): InventoryFragment {
  const packages: InstalledPackage[] = [];
  const warnings: string[] = [];
  for (const stanza of parseStanzas(stripBom(text), FIELD)) {
    const where = `line ${stanza.line}`;
    const stray = stanza.strayLines[0];
    if (stray !== undefined) warnings.push(`line ${stray}: not a "Field: value" line, ignored`);
    const name = stanza.fields.get('Package');
    const status = stanza.fields.get('Status');
    if (!name) {
      warnings.push(`${where}: paragraph without a Package field skipped`);
      continue;
    }
    if (!status) {
      warnings.push(`${where}: ${name} skipped: no Status field`);
      continue;
    }
    if (!isInstalled(status)) {
      warnings.push(`${where}: ${name} skipped: Status is "${status}"`);
      continue;
    }
    const version = stanza.fields.get('Version');
    if (!version || /\s/.test(version)) {
      warnings.push(
        `${where}: ${name} skipped: ${version ? `invalid Version "${version}"` : 'no Version field'}`,
      );
      continue;
    }
    const pkg: InstalledPackage = {
      name,
      version,
      kind: 'os',
      packageManager: 'dpkg',
      location: { file, line: stanza.line },
    };
    const sourceField = stanza.fields.get('Source');
    const source = parseSource(sourceField);
    if (sourceField && !source)
      warnings.push(`${where}: ${name}: unreadable Source "${sourceField}" ignored`);
    pkg.sourceName = source?.name ?? name;
    pkg.sourceVersion = source?.version ?? version;
    const arch = stanza.fields.get('Architecture');
    if (arch) pkg.arch = arch;
    packages.push(pkg);
  }
  return { format: 'dpkg-status', file, packages, warnings };
}

function isInstalled(status: string): boolean {
  const [, flag, state] = status.split(/\s+/);
  return (
    flag === 'ok' && (state === 'installed' || state === 'triggers-awaited' || state === 'triggers-pending')
  );
}

/** `Source: util-linux (2.38.1-5)`: binNMUs and rebuilds carry the source version in brackets. */
function parseSource(value: string | undefined): { name: string; version?: string } | undefined {
  if (!value) return undefined;
  const match = /^(\S+)(?:\s+\(([^()\s]+)\))?$/.exec(value);
  if (!match || match[1] === undefined) return undefined;
  return match[2] === undefined ? { name: match[1] } : { name: match[1], version: match[2] };
}
