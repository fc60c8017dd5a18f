/** Walks a feed directory tree in a stable (sorted) order, keeping files `accept` wants. */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

export async function* listFiles(root: string, accept: (name: string) => boolean): AsyncGenerator<string> {
  const entries = await readdir(root, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const path = join(root, entry.name);
    if (entry.isDirectory()) yield* listFiles(path, accept);
    else if (entry.isFile() && accept(entry.name)) yield path;
  }
}
