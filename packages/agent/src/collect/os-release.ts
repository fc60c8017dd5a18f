import { readFile } from 'node:fs/promises';
import type { OsRelease } from '@patchwarden/core';
import { parseOsRelease } from '@patchwarden/inventory';

/** os-release(5): "If not set, a default of ID=linux may be used." */
const UNKNOWN_OS: OsRelease = Object.freeze({ id: 'linux', idLike: [] });

export interface OsReleaseResult {
  os: OsRelease;
  file: string | undefined;
  warnings: string[];
}

/** Reads the first os-release file that exists. */
export async function readOsRelease(paths: readonly string[]): Promise<OsReleaseResult> {
  for (const path of paths) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (cause) {
      if ((cause as { code?: unknown }).code === 'ENOENT') continue;
      return {
        os: { ...UNKNOWN_OS },
        file: undefined,
        warnings: [`${path}: cannot be read (${String(cause)})`],
      };
    }
    const fragment = parseOsRelease(text, path);
    return {
      os: fragment.os ?? { ...UNKNOWN_OS },
      file: path,
      warnings: fragment.warnings.map((w) => `${path}: ${w}`),
    };
  }
  return {
    os: { ...UNKNOWN_OS, idLike: [] },
    file: undefined,
    warnings: [`no os-release found (looked at ${paths.join(', ') || 'nothing'}); reporting ID=linux`],
  };
}
