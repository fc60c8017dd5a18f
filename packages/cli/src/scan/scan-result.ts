import type { HostInventory, IndexStats, MatchReport } from '@patchwarden/core';
import type { FeedSyncStatus } from '@patchwarden/feeds';

export interface ScanResult {
  generatedAt: string;
  feeds: FeedSyncStatus[];
  index: IndexStats;
  hosts: { host: HostInventory; report: MatchReport }[];
}
