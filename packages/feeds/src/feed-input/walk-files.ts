import { opendir } from 'node:fs/promises';
import { join } from 'node:path';
import { inputError } from './input-error.ts';

/**
 * Regular files under `root`, depth first, in name order so that imports are reproducible.
 * Each directory is listed on its own, so memory follows the widest directory, not the tree.
 * Symbolic links are not followed (a feed mirror has no reason to contain them; loops would hang).
 */
export async function* walkFiles(root: string, accept: (name: string) => boolean): AsyncGenerator<string> {
  let names: { name: string; directory: boolean; file: boolean }[];
  try {
    names = [];
    for await (const entry of await opendir(root)) {
      names.push({ name: entry.name, directory: entry.isDirectory(), file: entry.isFile() });
    }
  } catch (thrown) {
    throw inputError(thrown, root);
  }
  names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of names) {
    const path = join(root, entry.name);
    if (entry.directory) yield* walkFiles(path, accept);
    else if (entry.file && accept(entry.name)) yield path;
  }
}
