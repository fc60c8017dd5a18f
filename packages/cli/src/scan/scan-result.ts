import type { HostInventory, IndexIssue, IndexStats, MatchReport } from '@patchwarden/core';
import type { FeedSyncStatus } from '@patchwarden/feeds';

export interface ScanResult {
  generatedAt: string;
  feeds: FeedSyncStatus[];
  index: IndexStats;
  /** The first affected entries that could not be indexed, with why. */
  indexIssues: IndexIssue[];
  hosts: { host: HostInventory; report: MatchReport }[];
}
