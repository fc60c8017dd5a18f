import { alpineSecdbReader } from './alpine/alpine-secdb-reader.ts';
import { debianDsaReader } from './debian/debian-dsa-reader.ts';
import { debianTrackerReader } from './debian/debian-tracker-reader.ts';
import type { FeedReader } from './feed-record.ts';
import { readHead } from './feed-input/read-head.ts';
import { osvReader } from './osv/osv-reader.ts';
import { ubuntuUctReader } from './ubuntu/ubuntu-uct-reader.ts';

/**
 * The first reader whose `sniff` accepts `path`, judged from its name and first 64 KiB (gunzipped
 * when the file is gzip data; '' for a directory), or undefined. Readers are asked in the order
 * given, so put the most specific formats first. A missing file throws PW_ERR_FILE_NOT_FOUND.
 */
export async function detectFeed(
  path: string,
  readers: readonly FeedReader[],
): Promise<FeedReader | undefined> {
  const head = await readHead(path);
  return readers.find((reader) => reader.sniff(path, head));
}

/** OSV plus the distro feeds in their native formats; their sniffers do not overlap. */
export const DISTRO_AND_OSV_READERS: readonly FeedReader[] = Object.freeze([
  osvReader,
  debianTrackerReader,
  debianDsaReader,
  alpineSecdbReader,
  ubuntuUctReader,
]);
