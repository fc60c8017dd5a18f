import { pwError } from '@patchwarden/core';
import type { InventoryFragment } from '@patchwarden/core';
import { JsonKeyLocator } from '../internal/json-key-locator.ts';
import { isRegistryVersion, npmPackage, resolveAlias, splitDescriptor } from '../internal/npm-package.ts';
import { PackageSet } from '../internal/package-set.ts';
import { parseJson } from '../internal/parse-json.ts';
import { isRecord, recordField, stringField } from '../internal/records.ts';
import type { JsonRecord } from '../internal/records.ts';

/**
 * `package-lock.json` / `npm-shrinkwrap.json`, lockfileVersion 1, 2 and 3.
 *
 * v2 and v3 list every installed folder under `packages`, keyed by its path
 * (`node_modules/a/node_modules/@s/b`); that list is authoritative and v2's v1-style
 * `dependencies` copy is ignored. Skipped: the root project (`""`), symlinks to workspaces
 * (`link: true`) and the workspace folders themselves (paths not under node_modules): they are
 * the project's own code, not installed packages. v1 has only the nested `dependencies` tree.
 *
 * Aliases (`"x": "npm:real@1.2.3"`) are reported under the real name, which is what advisories
 * name. Each name@version is reported once, at its first entry.
 */
export function parsePackageLock(text: string, file: string): InventoryFragment {
  const doc = parseJson('npm-package-lock', file, text);
  if (!isRecord(doc)) {
    throw pwError('PW_ERR_INVALID_RECORD', `${file}: a package-lock.json must be a JSON object`, { file });
  }
  const warnings: string[] = [];
  const found = new PackageSet();
  const locator = new JsonKeyLocator(text);
  const lockfileVersion = typeof doc['lockfileVersion'] === 'number' ? doc['lockfileVersion'] : undefined;
  const packagesSection = recordField(doc, 'packages');
  if (packagesSection && (lockfileVersion ?? 2) >= 2) {
    readPackages(packagesSection, file, locator, found, warnings);
  } else {
    const dependencies = recordField(doc, 'dependencies');
    if (!dependencies && lockfileVersion === undefined) {
      throw pwError('PW_ERR_INVALID_RECORD', `${file}: no lockfileVersion, packages or dependencies`, {
        file,
        field: 'lockfileVersion',
      });
    }
    readV1Dependencies(dependencies ?? {}, file, locator, found, warnings);
  }
  return { format: 'npm-package-lock', file, packages: found.toArray(), warnings };
}

function readPackages(
  packages: JsonRecord,
  file: string,
  locator: JsonKeyLocator,
  found: PackageSet,
  warnings: string[],
): void {
  for (const [path, entry] of Object.entries(packages)) {
    const line = locator.next(path);
    const at = line === undefined ? `"${path}"` : `line ${line}`;
    const marker = path.lastIndexOf('node_modules/');
    if (path === '' || marker === -1 || !isRecord(entry) || entry['link'] === true) continue;
    const folderName = path.slice(marker + 'node_modules/'.length);
    const name = stringField(entry, 'name') ?? folderName;
    const version = stringField(entry, 'version');
    if (!version) {
      warnings.push(`${at}: ${name} has no version, skipped`);
      continue;
    }
    const resolved = resolveAlias({ name, rest: version });
    found.add(npmPackage(resolved.name, resolved.rest, 'npm', file, line));
  }
}

/** v1: `dependencies` nest to any depth; walked with an explicit stack (hostile input is deep). */
function readV1Dependencies(
  root: JsonRecord,
  file: string,
  locator: JsonKeyLocator,
  found: PackageSet,
  warnings: string[],
): void {
  const stack: Array<Iterator<[string, unknown]>> = [Object.entries(root)[Symbol.iterator]()];
  while (stack.length > 0) {
    const next = stack[stack.length - 1]?.next();
    if (!next || next.done) {
      stack.pop();
      continue;
    }
    const [key, entry] = next.value;
    const line = locator.next(key);
    if (!isRecord(entry)) continue;
    const nested = recordField(entry, 'dependencies');
    const version = stringField(entry, 'version');
    const at = line === undefined ? `"${key}"` : `line ${line}`;
    if (!version) warnings.push(`${at}: ${key} has no version, skipped`);
    else if (version.startsWith('file:') && !/\.(?:tgz|tar\.gz|tar)$/.test(version)) {
      // A local folder is the project's own code (v2+ lists it outside node_modules).
    } else {
      const alias = version.startsWith('npm:') ? splitDescriptor(version.slice(4)) : undefined;
      const name = alias?.name ?? key;
      const resolvedVersion = alias?.rest ?? version;
      if (
        !isRegistryVersion(resolvedVersion) &&
        !/^(?:git|github:|gitlab:|bitbucket:|https?:|file:)/.test(resolvedVersion)
      ) {
        warnings.push(`${at}: ${key}: unrecognised version "${resolvedVersion}", kept as written`);
      }
      found.add(npmPackage(name, resolvedVersion, 'npm', file, line));
    }
    if (nested) stack.push(Object.entries(nested)[Symbol.iterator]());
  }
}
