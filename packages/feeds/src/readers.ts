import { DISTRO_AND_OSV_READERS } from './detect-feed.ts';
import { INTEL_READERS } from './detect-intel-feed.ts';
import type { FeedReader } from './feed-record.ts';

/** Strict formats first, so that the broad OSV sniff never claims an NVD or CVE record. */
export const ALL_READERS: readonly FeedReader[] = Object.freeze([
  ...INTEL_READERS,
  ...DISTRO_AND_OSV_READERS,
]);
