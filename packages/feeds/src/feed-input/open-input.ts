import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { PassThrough, pipeline } from 'node:stream';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { pwError } from '@patchwarden/core';
import { inputError } from './input-error.ts';

export interface OpenedInput {
  /** The file's bytes, gunzipped when the file is gzip data (judged by its magic number). */
  stream: Readable;
  /** Size on disk, i.e. of the compressed bytes when gzipped. */
  size: number;
  mtime: Date;
  gzipped: boolean;
}

export interface OpenInputOptions {
  /** Called with the number of bytes read from disk so far (compressed bytes for gzip). */
  onBytes?: (bytesRead: number) => void;
}

const GZIP_MAGIC = [0x1f, 0x8b] as const;

export async function fileStat(path: string): Promise<{ size: number; mtime: Date; isDirectory: boolean }> {
  try {
    const info = await stat(path);
    return { size: info.size, mtime: info.mtime, isDirectory: info.isDirectory() };
  } catch (thrown) {
    throw inputError(thrown, path);
  }
}

export async function isGzipFile(path: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, 'r');
    const magic = Buffer.alloc(2);
    const { bytesRead } = await handle.read(magic, 0, 2, 0);
    return bytesRead === 2 && magic[0] === GZIP_MAGIC[0] && magic[1] === GZIP_MAGIC[1];
  } catch (thrown) {
    throw inputError(thrown, path);
  } finally {
    await handle?.close();
  }
}

/**
 * Opens a feed file for streaming. Gzip is recognised by content rather than by name because
 * mirrors serve `.json` files gzipped and name `.gz` files without the suffix.
 */
export async function openInput(path: string, options: OpenInputOptions = {}): Promise<OpenedInput> {
  const info = await fileStat(path);
  if (info.isDirectory)
    throw pwError('PW_ERR_PARSE', `${path} is a directory, not a feed file`, { file: path });
  const gzipped = await isGzipFile(path);
  const raw = createReadStream(path, { highWaterMark: 256 * 1024 });
  if (options.onBytes) {
    let bytesRead = 0;
    const onBytes = options.onBytes;
    raw.on('data', (chunk: Buffer | string) => {
      bytesRead += chunk.length;
      onBytes(bytesRead);
    });
  }
  // Errors travel down the pipeline to the consumer; the callback only keeps them from being
  // reported a second time as unhandled.
  const stream = gzipped
    ? pipeline(raw, createGunzip(), () => {})
    : pipeline(raw, new PassThrough(), () => {});
  return { stream, size: info.size, mtime: info.mtime, gzipped };
}
