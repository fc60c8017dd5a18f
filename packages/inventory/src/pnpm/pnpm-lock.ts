import { pwError } from '@patchwarden/core';
import type { InventoryFragment } from '@patchwarden/core';
import { parseAllDocuments } from 'yaml';
import { isPackageName, isRegistryVersion, npmPackage } from '../internal/npm-package.ts';
import { PackageSet } from '../internal/package-set.ts';
import { parseFailure } from '../internal/parse-failure.ts';
import { isRecord, recordField, splitLines, stringField, stripBom } from '../internal/records.ts';
import type { JsonRecord } from '../internal/records.ts';

/**
 * `pnpm-lock.yaml`. Every installed package is a key of `packages`, spelled differently by
 * lockfile version:
 * - 5.x: `/name/1.2.3`, `/@scope/name/1.2.3_peer@2.0.0+other@1.0.0` (peers after `_`), sometimes
 *   with a registry host in front (`registry.npmjs.org/name/1.2.3`);
 * - 6.x: `/name@1.2.3(peer@2.0.0)`;
 * - 9.x: `name@1.2.3` (peer variants live in `snapshots:`, which repeat the same packages).
 * Git, tarball and local packages carry explicit `name:` / `version:` fields, which win over
 * the key. Local folders (`file:` with a directory resolution, `link:`) are the project's own
 * code and are skipped. Peer-dependency variants of one version collapse into one package.
 */
export function parsePnpmLock(text: string, file: string): InventoryFragment {
  const body = stripBom(text);
  const documents = parseDocuments(body, file);
  const warnings: string[] = [];
  const found = new PackageSet();
  const lines = packageKeyLines(body);
  for (const doc of documents) {
    if (doc === null || doc === undefined) continue;
    if (!isRecord(doc)) {
      throw pwError('PW_ERR_INVALID_RECORD', `${file}: a pnpm-lock.yaml must be a YAML mapping`, { file });
    }
    const version = lockfileVersion(doc['lockfileVersion']);
    const packages = recordField(doc, 'packages');
    if (!packages) continue;
    for (const [key, entry] of Object.entries(packages)) {
      const line = lines.get(key);
      const at = line === undefined ? `"${key}"` : `line ${line}`;
      const fields = isRecord(entry) ? entry : {};
      if (isLocalFolder(key, fields)) continue;
      const parsed = parseKey(key, version);
      const name = stringField(fields, 'name') ?? parsed?.name;
      const pkgVersion = stringField(fields, 'version') ?? parsed?.version;
      if (!name || !pkgVersion || !isPackageName(name) || !isRegistryVersion(pkgVersion)) {
        warnings.push(`${at}: cannot read a package name and version from "${key}", skipped`);
        continue;
      }
      found.add(npmPackage(name, pkgVersion, 'pnpm', file, line));
    }
  }
  return { format: 'pnpm-lock', file, packages: found.toArray(), warnings };
}

function parseDocuments(body: string, file: string): unknown[] {
  try {
    // pnpm 10 may prepend a second YAML document for its own config dependencies.
    return parseAllDocuments(body).map((doc) => {
      const error = doc.errors[0];
      if (error) throw error;
      return doc.toJS({ maxAliasCount: 100 }) as unknown;
    });
  } catch (cause) {
    throw parseFailure('pnpm-lock', file, cause, body);
  }
}

function lockfileVersion(value: unknown): number | undefined {
  const parsed =
    typeof value === 'number' ? value : typeof value === 'string' ? Number.parseFloat(value) : NaN;
  return Number.isFinite(parsed) ? parsed : undefined;
}

function isLocalFolder(key: string, fields: JsonRecord): boolean {
  if (key.startsWith('link:')) return true;
  const resolution = recordField(fields, 'resolution');
  return resolution !== undefined && (resolution['type'] === 'directory' || 'directory' in resolution);
}

/** Name and version from a `packages` key; undefined when the key is not a registry path. */
export function parseKey(
  key: string,
  lockfileVersion: number | undefined,
): { name: string; version: string } | undefined {
  let path = key.startsWith('/') ? key.slice(1) : key;
  // 5.x keys of packages from a non-default registry start with its host: `registry.npmjs.org/x/1.0.0`.
  const host = /^([^/@]+\.[^/@]+)\//.exec(path);
  if (!key.startsWith('/') && host) path = path.slice(host[0].length);
  if (lockfileVersion !== undefined && lockfileVersion < 6) {
    const match = /^((?:@[^/]+\/)?[^/@][^/]*)\/([^/_]+)(?:_.*)?$/.exec(path);
    return match?.[1] && match[2] ? { name: match[1], version: match[2] } : undefined;
  }
  const withoutPeers = path.replace(/\(.*$/, '');
  const at = withoutPeers.indexOf('@', withoutPeers.startsWith('@') ? 1 : 0);
  if (at <= 0) return undefined;
  // Early 6.0 lockfiles still wrote peers after an underscore, which no semver version contains.
  return { name: withoutPeers.slice(0, at), version: withoutPeers.slice(at + 1).replace(/_.*$/, '') };
}

/** Keys of the `packages:` mapping sit at two spaces of indentation. */
function packageKeyLines(text: string): Map<string, number> {
  const byKey = new Map<string, number>();
  const lines = splitLines(text);
  let inPackages = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (/^\S/.test(line)) inPackages = /^packages:\s*(?:#.*)?$/.test(line);
    else if (inPackages) {
      const match = /^ {2}(['"]?)(\S.*?)\1:(?:\s|$)/.exec(line);
      if (match?.[2] !== undefined && !byKey.has(match[2])) byKey.set(match[2], i + 1);
    }
  }
  return byKey;
}
