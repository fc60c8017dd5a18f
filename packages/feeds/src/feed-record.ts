import type { Advisory, CveRecord, CweEntry, EpssScore, KevEntry } from '@patchwarden/core';

/** The feeds Patchwarden reads; each has one reader module under src/<feed>/. */
export type FeedKind =
  | 'osv'
  | 'nvd'
  | 'cve5'
  | 'kev'
  | 'epss'
  | 'cwe'
  | 'debian-tracker'
  | 'debian-dsa'
  | 'alpine-secdb'
  | 'ubuntu-uct';

/** A record that could not be imported: skipped and counted, never fatal for the rest. */
export interface ImportIssue {
  file: string;
  line?: number;
  /** The record's id when it could be read. */
  record?: string;
  message: string;
}

export type FeedRecord =
  | { kind: 'advisory'; advisory: Advisory }
  | { kind: 'cve'; cve: CveRecord }
  | { kind: 'kev'; entry: KevEntry }
  | { kind: 'epss'; score: EpssScore }
  | { kind: 'cwe'; entry: CweEntry }
  | { kind: 'issue'; issue: ImportIssue };

export interface ReadOptions {
  /** Only yield records modified after this RFC 3339 instant (incremental import). */
  since?: string;
  /** Called as input is consumed, for progress display on long imports. */
  onProgress?: (bytesRead: number, totalBytes: number | undefined) => void;
}

/**
 * One feed format. Readers stream: they never hold a whole multi-GB feed in memory, and they
 * yield an `issue` for a bad record and go on with the next.
 */
export interface FeedReader {
  readonly feed: FeedKind;
  /**
   * Whether `path` holds this feed, judged from its name and its first bytes (`head`, up to
   * 64 KiB, decompressed when the file is gzipped). Directories are passed with head ''.
   */
  sniff(path: string, head: string): boolean;
  read(path: string, options?: ReadOptions): AsyncIterable<FeedRecord>;
}
