import { pwError } from '@patchwarden/core';
import type { InventoryFragment } from '@patchwarden/core';
import { parseSyml } from '@yarnpkg/parsers';
import { npmPackage, resolveAlias, splitDescriptor } from '../internal/npm-package.ts';
import type { NpmDescriptor } from '../internal/npm-package.ts';
import { PackageSet } from '../internal/package-set.ts';
import { parseFailure } from '../internal/parse-failure.ts';
import { isRecord, splitLines, stringField, stripBom } from '../internal/records.ts';

/** Protocols whose package is the project's own code or a local folder, not an installed copy. */
const LOCAL_PROTOCOLS = /^(?:workspace|link|portal):/;

/**
 * `yarn.lock`, both the v1 format (`# yarn lockfile v1`) and Berry's YAML (v2+, `__metadata:`),
 * read with Yarn's own parser. An entry's key lists the descriptors (`name@range`) that resolved
 * to it; Berry also records the `resolution` (`name@npm:1.2.3`), which names the package really
 * fetched and is preferred. Aliases (`alias@npm:real@^1`) are reported under the real name.
 * Workspaces, `link:`, `portal:` and `file:` folders are the project's own code and are skipped;
 * git and tarball dependencies are kept with the version their package.json declares. Berry's
 * `patch:` entries repeat the package they patch and collapse into it.
 */
export function parseYarnLock(text: string, file: string): InventoryFragment {
  const body = stripBom(text);
  let doc: unknown;
  try {
    doc = parseSyml(body);
  } catch (cause) {
    throw parseFailure('yarn-lock', file, cause, body);
  }
  const warnings: string[] = [];
  const found = new PackageSet();
  if (doc === null || doc === undefined) return { format: 'yarn-lock', file, packages: [], warnings };
  if (!isRecord(doc)) {
    throw pwError('PW_ERR_INVALID_RECORD', `${file}: a yarn.lock must be a mapping of descriptors`, { file });
  }
  const lines = keyLines(body);
  for (const [key, entry] of Object.entries(doc)) {
    if (key === '__metadata') continue;
    const line = lines.get(firstDescriptor(key));
    const at = line === undefined ? `"${key}"` : `line ${line}`;
    if (!isRecord(entry)) {
      warnings.push(`${at}: entry is not a mapping, skipped`);
      continue;
    }
    const resolution = stringField(entry, 'resolution');
    const descriptor = splitDescriptor(resolution ?? firstDescriptor(key));
    if (!descriptor) {
      warnings.push(`${at}: cannot read a package name from "${resolution ?? key}", skipped`);
      continue;
    }
    const real = resolveAlias(descriptor);
    if (isLocal(real)) continue;
    const version = stringField(entry, 'version');
    if (!version) {
      warnings.push(`${at}: ${real.name} has no version, skipped`);
      continue;
    }
    found.add(npmPackage(real.name, version, 'yarn', file, line));
  }
  return { format: 'yarn-lock', file, packages: found.toArray(), warnings };
}

function isLocal(descriptor: NpmDescriptor): boolean {
  const rest = descriptor.rest;
  if (LOCAL_PROTOCOLS.test(rest)) return true;
  if (!rest.startsWith('file:')) return false;
  // A local tarball may be a vendored third-party package, so only folders are skipped.
  const path = rest.slice('file:'.length).split(/[#:]/, 1)[0] ?? '';
  return !/\.(?:tgz|tar\.gz|tar)$/.test(path);
}

/** The first of a key's comma-separated descriptors, without quotes. */
function firstDescriptor(key: string): string {
  return unquote((key.split(/,\s*/, 1)[0] ?? key).trim());
}

/** Quotes wrap the whole key, so after splitting on commas only the outer parts carry one. */
function unquote(text: string): string {
  return text.replace(/^"|"$/g, '');
}

/** Top-level keys start at column 0 and end with a colon; each descriptor maps to that line. */
function keyLines(text: string): Map<string, number> {
  const byDescriptor = new Map<string, number>();
  const lines = splitLines(text);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line === '' || line.startsWith(' ') || line.startsWith('#') || !line.trimEnd().endsWith(':'))
      continue;
    for (const part of line.trimEnd().slice(0, -1).split(/,\s*/)) {
      const descriptor = unquote(part.trim());
      if (!byDescriptor.has(descriptor)) byDescriptor.set(descriptor, i + 1);
    }
  }
  return byDescriptor;
}
