import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { fileStat, isGzipFile } from './open-input.ts';

export const HEAD_BYTES = 64 * 1024;

/**
 * The first bytes of a file as text, gunzipped when the file is gzip data; '' for a directory.
 * A truncated or corrupt gzip stream yields what could be inflated: a head is only a hint.
 */
export async function readHead(path: string, maxBytes = HEAD_BYTES): Promise<string> {
  const info = await fileStat(path);
  if (info.isDirectory) return '';
  if (!(await isGzipFile(path))) return readHeadSync(path, maxBytes);
  const raw = createReadStream(path, { highWaterMark: 64 * 1024 });
  const gunzip = createGunzip();
  raw.on('error', (error) => gunzip.destroy(error));
  raw.pipe(gunzip);
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      length += chunk.length;
      if (length >= maxBytes) break;
    }
  } catch {
    // keep what was inflated before the damage
  } finally {
    raw.destroy();
    gunzip.destroy();
  }
  return Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8');
}

/** Synchronous head of a plain file, for sniffers that look inside a directory. */
export function readHeadSync(path: string, maxBytes = HEAD_BYTES): string {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(maxBytes);
    const bytesRead = readSync(fd, buffer, 0, maxBytes, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
