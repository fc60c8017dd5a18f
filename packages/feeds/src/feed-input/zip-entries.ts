import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import type { Entry, ZipFile } from 'yauzl';
import { inputError } from './input-error.ts';

export interface ZipEntry {
  name: string;
  compressedSize: number;
  uncompressedSize: number;
  /** The entry's bytes; absent when it is bigger than `maxEntryBytes` (then skipped unread). */
  content?: Buffer;
  /** Why the entry could not be inflated (bad CRC, wrong size): that entry is lost, not the zip. */
  error?: string;
}

export interface ZipOptions {
  accept: (name: string) => boolean;
  /** Bigger entries are not inflated, so a zip bomb cannot exhaust memory. */
  maxEntryBytes?: number;
}

/**
 * Entries of a zip file, one at a time: yauzl reads the central directory and inflates one
 * entry's stream when asked, so neither the archive nor its contents are ever held in memory
 * as a whole, and nothing is written to disk. A broken archive throws PW_ERR_PARSE naming it.
 */
export async function* zipEntries(path: string, options: ZipOptions): AsyncGenerator<ZipEntry> {
  const maxEntryBytes = options.maxEntryBytes ?? 64 * 1024 * 1024;
  let zip: ZipFile;
  try {
    zip = await yauzl.openPromise(path, { lazyEntries: true, autoClose: false, validateEntrySizes: true });
  } catch (thrown) {
    throw inputError(thrown, path);
  }
  // yauzl reports some errors outside any request; keep the first one for the next await.
  let failure: unknown;
  const waiting = new Set<(error: unknown) => void>();
  zip.on('error', (error: unknown) => {
    failure ??= error;
    for (const reject of waiting) reject(error);
  });
  try {
    while (true) {
      const entry = await nextEntry(zip, waiting, () => failure);
      if (entry === undefined) return;
      if (entry.fileName.endsWith('/') || !options.accept(entry.fileName)) continue;
      const item: ZipEntry = {
        name: entry.fileName,
        compressedSize: entry.compressedSize,
        uncompressedSize: entry.uncompressedSize,
      };
      if (entry.uncompressedSize <= maxEntryBytes) {
        try {
          item.content = await readAll(await zip.openReadStreamPromise(entry));
        } catch (thrown) {
          item.error = thrown instanceof Error ? thrown.message : String(thrown);
        }
      }
      yield item;
    }
  } catch (thrown) {
    throw inputError(thrown, path);
  } finally {
    zip.close();
  }
}

function nextEntry(
  zip: ZipFile,
  waiting: Set<(error: unknown) => void>,
  failed: () => unknown,
): Promise<Entry | undefined> {
  return new Promise((resolve, reject) => {
    const earlier = failed();
    if (earlier !== undefined) {
      reject(earlier);
      return;
    }
    const done = (): void => {
      zip.off('entry', onEntry);
      zip.off('end', onEnd);
      waiting.delete(onError);
    };
    const onEntry = (entry: Entry): void => {
      done();
      resolve(entry);
    };
    const onEnd = (): void => {
      done();
      resolve(undefined);
    };
    const onError = (error: unknown): void => {
      done();
      reject(error);
    };
    zip.on('entry', onEntry);
    zip.on('end', onEnd);
    waiting.add(onError);
    zip.readEntry();
  });
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}
