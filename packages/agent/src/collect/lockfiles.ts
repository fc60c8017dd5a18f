import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { InventoryFragment } from '@patchwarden/core';
import { asPatchwardenError } from '@patchwarden/core';
import { parseInventoryFile } from '@patchwarden/inventory';

/** The lockfiles @patchwarden/inventory reads, by their conventional names. */
export const LOCKFILE_NAMES: ReadonlySet<string> = new Set([
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
]);

/** Installed dependency trees and VCS data: huge, and never the application's own lockfile. */
const SKIPPED_DIRECTORIES: ReadonlySet<string> = new Set(['node_modules', '.git']);

/** A lockfile larger than this is not an application's: it is skipped with a warning. */
const MAX_LOCKFILE_BYTES = 128 * 1024 * 1024;

export interface FoundLockfiles {
  files: string[];
  warnings: string[];
}

/**
 * Lockfiles under `roots`: a root that is a file is taken as is; a directory is walked down to
 * `maxDepth` levels below it (0 = only its own entries). Symbolic links are not followed, so a
 * link cycle or a link to `/` cannot make the walk run away; files reached twice through
 * overlapping roots are reported once. Sorted, so that collection is reproducible.
 */
export async function findLockfiles(roots: readonly string[], maxDepth: number): Promise<FoundLockfiles> {
  const found = new Map<string, string>();
  const warnings: string[] = [];
  const add = async (path: string): Promise<void> => {
    const real = await realpath(path).catch(() => path);
    if (!found.has(real)) found.set(real, path);
  };
  const walk = async (dir: string, depth: number): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (cause) {
      warnings.push(`${dir}: cannot be listed (${String((cause as { code?: unknown }).code ?? cause)})`);
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isFile() && LOCKFILE_NAMES.has(entry.name)) await add(path);
      else if (entry.isDirectory() && !SKIPPED_DIRECTORIES.has(entry.name) && depth < maxDepth)
        await walk(path, depth + 1);
    }
  };
  for (const root of roots) {
    let info;
    try {
      info = await stat(root);
    } catch (cause) {
      warnings.push(
        `${root}: lockfile path not found (${String((cause as { code?: unknown }).code ?? cause)})`,
      );
      continue;
    }
    if (info.isDirectory()) await walk(root, 0);
    else await add(root);
  }
  const files = [...found.values()].sort();
  return { files, warnings };
}

/** Parses each lockfile; one that cannot be read or parsed is a warning, never a failed collection. */
export async function parseLockfiles(
  files: readonly string[],
): Promise<{ fragments: InventoryFragment[]; warnings: string[] }> {
  const fragments: InventoryFragment[] = [];
  const warnings: string[] = [];
  for (const file of files) {
    try {
      const { size } = await stat(file);
      if (size > MAX_LOCKFILE_BYTES) {
        warnings.push(`${file}: skipped, ${size} bytes is more than ${MAX_LOCKFILE_BYTES}`);
        continue;
      }
      const fragment = await parseInventoryFile(file);
      fragments.push(fragment);
      warnings.push(...fragment.warnings.map((w) => `${file}: ${w}`));
    } catch (thrown) {
      const error = asPatchwardenError(thrown);
      warnings.push(`${file}: ${error.code}: ${error.message}`);
    }
  }
  return { fragments, warnings };
}
