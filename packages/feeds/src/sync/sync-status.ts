/**
 * What the mirror holds, read back from its metadata files for display (`patchwarden feeds
 * status`): each feed's size, validators and when it was fetched and last confirmed, and whether
 * the file on disk still matches.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FeedSource } from './feed-sources.ts';
import type { MirrorMetadata } from './mirror-metadata.ts';
import { feedFileOfMeta, readMirrorMetadata } from './mirror-metadata.ts';

export type MirrorEntryState =
  /** The file is there, of the size the metadata records. */
  | 'ok'
  /** Metadata without its file (deleted by hand). */
  | 'missing-file'
  /** The file differs in size from what was downloaded (edited or truncated since). */
  | 'size-mismatch'
  /** The metadata file is damaged; the next sync downloads the feed in full. */
  | 'unreadable-metadata'
  /** A configured source that has never been synced into this mirror. */
  | 'never-synced';

export interface MirrorEntryStatus {
  /** The feed's name; the file name when the metadata is unreadable. */
  name: string;
  file: string;
  state: MirrorEntryState;
  url?: string;
  /** Size recorded at download. */
  bytes?: number;
  /** Size on disk now, when the file exists. */
  bytesOnDisk?: number;
  etag?: string;
  lastModified?: string;
  downloadedAt?: string;
  checkedAt?: string;
  problem?: string;
}

async function sizeOnDisk(path: string): Promise<number | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? info.size : undefined;
  } catch {
    return undefined;
  }
}

async function metaFilesIn(mirrorDir: string): Promise<string[]> {
  try {
    const names = await readdir(mirrorDir);
    return names.flatMap((name) => feedFileOfMeta(name) ?? []);
  } catch (error) {
    // A mirror never synced into has no directory yet: it simply holds nothing.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

function entryOf(metadata: MirrorMetadata, onDisk: number | undefined): MirrorEntryStatus {
  const state: MirrorEntryState =
    onDisk === undefined ? 'missing-file' : onDisk === metadata.bytes ? 'ok' : 'size-mismatch';
  return {
    name: metadata.name,
    file: metadata.file,
    state,
    url: metadata.url,
    bytes: metadata.bytes,
    ...(onDisk !== undefined ? { bytesOnDisk: onDisk } : {}),
    ...(metadata.etag !== undefined ? { etag: metadata.etag } : {}),
    ...(metadata.lastModified !== undefined ? { lastModified: metadata.lastModified } : {}),
    downloadedAt: metadata.downloadedAt,
    checkedAt: metadata.checkedAt,
  };
}

/**
 * One entry per feed file with metadata in `mirrorDir`, sorted by name; with `sources`, also one
 * `never-synced` entry for each source the mirror has no metadata for.
 */
export async function readMirrorStatus(
  mirrorDir: string,
  sources: readonly FeedSource[] = [],
): Promise<MirrorEntryStatus[]> {
  const entries: MirrorEntryStatus[] = [];
  const seen = new Set<string>();
  for (const file of await metaFilesIn(mirrorDir)) {
    seen.add(file);
    const read = await readMirrorMetadata(mirrorDir, file);
    const onDisk = await sizeOnDisk(join(mirrorDir, file));
    if (read.state === 'ok') {
      entries.push(entryOf(read.metadata, onDisk));
    } else {
      const source = sources.find((s) => s.file === file);
      entries.push({
        name: source?.name ?? file,
        file,
        state: 'unreadable-metadata',
        ...(onDisk !== undefined ? { bytesOnDisk: onDisk } : {}),
        problem: read.state === 'unreadable' ? read.reason : 'metadata vanished while reading',
      });
    }
  }
  for (const source of sources) {
    if (!seen.has(source.file)) {
      entries.push({ name: source.name, file: source.file, state: 'never-synced', url: source.url });
    }
  }
  return entries.sort((a, b) => a.name.localeCompare(b.name) || a.file.localeCompare(b.file));
}
