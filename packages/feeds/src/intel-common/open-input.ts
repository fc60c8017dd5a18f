/**
 * Opens a feed file as a text byte stream: gzipped files (found by their magic bytes, not their
 * name) are decompressed on the fly, and progress is reported in bytes of the file as stored.
 */
import { createReadStream, type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { pipeline, Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { pwError } from '@patchwarden/core';
import type { ReadOptions } from '../feed-record.ts';

export interface OpenedInput {
  stream: Readable;
  size: number;
  gzipped: boolean;
}

const GZIP_MAGIC = [0x1f, 0x8b];

export async function isGzipFile(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer[0] === GZIP_MAGIC[0] && buffer[1] === GZIP_MAGIC[1];
  } finally {
    await handle.close();
  }
}

/** Throws PW_ERR_FILE_NOT_FOUND for a missing path, so callers can tell it from bad content. */
export async function statInput(path: string): Promise<Stats> {
  try {
    return await stat(path);
  } catch (error) {
    throw pwError('PW_ERR_FILE_NOT_FOUND', `File not found: ${path}`, { file: path }, error);
  }
}

export async function openInput(path: string, options: ReadOptions = {}): Promise<OpenedInput> {
  const stats = await statInput(path);
  if (!stats.isFile()) throw pwError('PW_ERR_USAGE', `Expected a file: ${path}`, { file: path });
  const { size } = stats;
  let gzipped: boolean;
  try {
    gzipped = await isGzipFile(path);
  } catch (error) {
    throw pwError(
      'PW_ERR_FEED_UNAVAILABLE',
      `Cannot open ${path}: ${(error as Error).message}`,
      { file: path },
      error,
    );
  }
  let stream: Readable = createReadStream(path);
  const { onProgress } = options;
  if (onProgress) {
    let bytesRead = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        bytesRead += chunk.length;
        onProgress(bytesRead, size);
        callback(null, chunk);
      },
    });
    stream = forward(stream, counter);
  }
  if (gzipped) stream = forward(stream, createGunzip());
  return { stream, size, gzipped };
}

/** `source` piped into `target`; an error on either side ends both, surfacing on `target`. */
function forward(source: Readable, target: Transform): Transform {
  // The error reaches the reader through `target`; the callback only keeps it from going unhandled.
  return pipeline(source, target, () => undefined);
}

export const HEAD_BYTES = 64 * 1024;

/** The first `HEAD_BYTES` of a file, decompressed when gzipped: what `sniff` is given. */
export async function readHead(path: string): Promise<string> {
  const { stream } = await openInput(path);
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of stream) {
      const buffer = chunk as Buffer;
      chunks.push(buffer);
      total += buffer.length;
      if (total >= HEAD_BYTES) break;
    }
  } catch {
    // A truncated or corrupt gzip still has a readable start; what was decoded is the head.
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks).subarray(0, HEAD_BYTES).toString('utf8');
}
