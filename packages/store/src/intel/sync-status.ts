/** A record an import skipped, as the feed readers report it (file, line, record id). */
export interface SyncIssue {
  file: string;
  line?: number;
  record?: string;
  message: string;
}

/** One import run of one feed source, as the importer reports it; times come from the caller. */
export interface SyncStatus {
  feed: string;
  /** The file path or URL that was imported. */
  source: string;
  startedAt: string | Date;
  finishedAt?: string | Date;
  ok: boolean;
  records: number;
  inserted: number;
  updated: number;
  unchanged: number;
  skipped: number;
  /** Newest `modified` seen: the next incremental import starts after it. */
  newestModified?: string;
  error?: string;
  /** Only the first MAX_KEPT_ISSUES are stored. */
  issues: SyncIssue[];
}

/** A stored run: times are read back as RFC 3339 strings. */
export interface SyncRecord extends Omit<SyncStatus, 'startedAt' | 'finishedAt'> {
  id: number;
  startedAt: string;
  finishedAt?: string;
}

export const MAX_KEPT_ISSUES = 200;
