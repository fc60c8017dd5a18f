import type { InstalledPackage, InventoryFragment } from '@patchwarden/core';
import { parseStanzas } from '../internal/stanzas.ts';
import { stripBom } from '../internal/records.ts';

const FIELD = /^([A-Za-z]):(.*)$/;

/**
 * `/lib/apk/db/installed`: one blank-line separated block per package, single-letter keys
 * (`P` name, `V` version, `A` arch, `o` origin = the aport the package was built from, which is
 * what Alpine's secdb and OSV records are keyed by).
 */
export function parseApkInstalled(text: string, file: string): InventoryFragment {
  const packages: InstalledPackage[] = [];
  const warnings: string[] = [];
  for (const stanza of parseStanzas(stripBom(text), FIELD)) {
    const where = `line ${stanza.line}`;
    const stray = stanza.strayLines[0];
    if (stray !== undefined) warnings.push(`line ${stray}: not a "X:value" line, ignored`);
    const name = stanza.fields.get('P');
    const version = stanza.fields.get('V');
    if (!name || !version) {
      warnings.push(`${where}: block skipped: ${name ? `${name} has no V: line` : 'no P: line'}`);
      continue;
    }
    const pkg: InstalledPackage = {
      name,
      version,
      sourceName: stanza.fields.get('o') || name,
      sourceVersion: version,
      kind: 'os',
      packageManager: 'apk',
      location: { file, line: stanza.line },
    };
    const arch = stanza.fields.get('A');
    if (arch) pkg.arch = arch;
    packages.push(pkg);
  }
  return { format: 'apk-installed', file, packages, warnings };
}
