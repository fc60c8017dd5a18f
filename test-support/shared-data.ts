/**
 * Large real data lives beside the repository in ../shared/data (see its MANIFEST.md); it is not
 * committed. Tests that need it call `sharedDataPath` and skip, saying so, when it is absent, so
 * that a fresh clone still passes. Small fixtures are committed under fixtures/ instead.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const SHARED_DATA = process.env.PATCHWARDEN_SHARED_DATA ?? resolve(REPO_ROOT, '..', 'shared', 'data');
export const FIXTURES = join(REPO_ROOT, 'fixtures');

let warned = new Set<string>();

/** Absolute path of a file under ../shared/data, or undefined (with one visible notice) if absent. */
export function sharedDataPath(relative: string): string | undefined {
  const path = join(SHARED_DATA, relative);
  if (existsSync(path)) return path;
  if (!warned.has(relative)) {
    warned = new Set(warned).add(relative);
    console.warn(
      `[patchwarden tests] SKIP: ${path} is absent (../shared/data not present); data-driven check skipped`,
    );
  }
  return undefined;
}

export function fixturePath(relative: string): string {
  return join(FIXTURES, relative);
}
