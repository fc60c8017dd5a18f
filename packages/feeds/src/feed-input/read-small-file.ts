import { readFile, stat } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { pwError } from '@patchwarden/core';
import { inputError } from './input-error.ts';
import { stripBom } from './read-text.ts';

export interface SmallFile {
  text: string;
  size: number;
  mtime: Date;
}

/**
 * A small file (one record of a per-record tree) read in one call: a stream per file costs
 * more than the read itself when a tree holds tens of thousands of records.
 */
export async function readSmallFile(path: string, maxBytes: number): Promise<SmallFile> {
  try {
    const info = await stat(path);
    if (info.size > maxBytes) {
      throw pwError('PW_ERR_PARSE', `${path}: ${info.size} bytes, too large for one record`, { file: path });
    }
    let bytes = await readFile(path);
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes, { maxOutputLength: maxBytes });
    return { text: stripBom(bytes.toString('utf8')), size: info.size, mtime: info.mtime };
  } catch (thrown) {
    throw inputError(thrown, path);
  }
}
