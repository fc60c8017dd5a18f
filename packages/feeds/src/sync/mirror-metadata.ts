/**
 * The mirror keeps, beside each downloaded feed file, a small `<file>.meta.json` with the
 * validators the server gave (ETag, Last-Modified) and when the copy was fetched and last
 * confirmed. A download in progress is written to `<file>.partial` and renamed over the file only
 * when complete, so the file itself is always a whole, good copy.
 */
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface MirrorMetadata {
  name: string;
  url: string;
  file: string;
  /** Size of the mirrored file, used to notice a copy changed or truncated behind our back. */
  bytes: number;
  etag?: string;
  lastModified?: string;
  /** When the current bytes were downloaded (ISO 8601). */
  downloadedAt: string;
  /** When the server last confirmed the copy, by a 200 or a 304 (ISO 8601). */
  checkedAt: string;
}

const META_SUFFIX = '.meta.json';
const PARTIAL_SUFFIX = '.partial';

export function metaFileName(file: string): string {
  return `${file}${META_SUFFIX}`;
}

export function partialFileName(file: string): string {
  return `${file}${PARTIAL_SUFFIX}`;
}

/** True for the mirror's own metadata and in-progress files, which importers should skip. */
export function isMirrorBookkeepingFile(fileName: string): boolean {
  return fileName.endsWith(META_SUFFIX) || fileName.endsWith(PARTIAL_SUFFIX);
}

/** For a metadata file name, the feed file it describes; undefined for any other name. */
export function feedFileOfMeta(fileName: string): string | undefined {
  return fileName.endsWith(META_SUFFIX) && fileName.length > META_SUFFIX.length
    ? fileName.slice(0, -META_SUFFIX.length)
    : undefined;
}

function optionalString(value: unknown): value is string | undefined {
  return value === undefined || typeof value === 'string';
}

/** The metadata if `value` has its shape, else undefined: a damaged file only costs a full download. */
export function asMirrorMetadata(value: unknown): MirrorMetadata | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const ok =
    typeof v.name === 'string' &&
    typeof v.url === 'string' &&
    typeof v.file === 'string' &&
    typeof v.bytes === 'number' &&
    Number.isSafeInteger(v.bytes) &&
    v.bytes >= 0 &&
    optionalString(v.etag) &&
    optionalString(v.lastModified) &&
    typeof v.downloadedAt === 'string' &&
    typeof v.checkedAt === 'string';
  if (!ok) return undefined;
  return {
    name: v.name as string,
    url: v.url as string,
    file: v.file as string,
    bytes: v.bytes as number,
    ...(v.etag !== undefined ? { etag: v.etag as string } : {}),
    ...(v.lastModified !== undefined ? { lastModified: v.lastModified as string } : {}),
    downloadedAt: v.downloadedAt as string,
    checkedAt: v.checkedAt as string,
  };
}

export type MetadataRead =
  { state: 'absent' } | { state: 'unreadable'; reason: string } | { state: 'ok'; metadata: MirrorMetadata };

export async function readMirrorMetadata(mirrorDir: string, file: string): Promise<MetadataRead> {
  let text: string;
  try {
    text = await readFile(join(mirrorDir, metaFileName(file)), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'absent' };
    return { state: 'unreadable', reason: (error as Error).message };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { state: 'unreadable', reason: `not JSON: ${(error as Error).message}` };
  }
  const metadata = asMirrorMetadata(parsed);
  return metadata ? { state: 'ok', metadata } : { state: 'unreadable', reason: 'not mirror metadata' };
}

/** Written to a side file and renamed, so a crash never leaves half a metadata file. */
export async function writeMirrorMetadata(mirrorDir: string, metadata: MirrorMetadata): Promise<void> {
  const target = join(mirrorDir, metaFileName(metadata.file));
  const temporary = partialFileName(target);
  try {
    await writeFile(temporary, `${JSON.stringify(metadata, null, 2)}\n`, { flush: true });
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
