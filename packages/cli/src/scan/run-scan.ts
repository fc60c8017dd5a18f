import type { Advisory, IntelLookup, InventoryFragment } from '@patchwarden/core';
import { AdvisoryIndex, assembleHosts, matchPackages } from '@patchwarden/core';
import type { FeedSyncStatus, ImportOptions } from '@patchwarden/feeds';
import { IntelStore, importFeeds } from '@patchwarden/feeds';
import { parseInventoryFile } from '@patchwarden/inventory';
import type { ScanResult } from './scan-result.ts';

/** Intelligence already imported (the database): advisories to index and per-CVE lookups. */
export interface StoredIntel {
  advisories: AsyncIterable<Advisory>;
  lookup: IntelLookup;
  feeds: FeedSyncStatus[];
}

export interface ScanRequest {
  inventory: readonly string[];
  /** Feed files and directories, imported in memory for this scan. */
  feeds?: readonly string[];
  /** Or intelligence from the database. */
  stored?: StoredIntel;
  onInventory?: (fragment: InventoryFragment) => void;
  importOptions?: ImportOptions;
}

/** The offline scan: parse inventories, load intelligence, match each host. */
export async function runScan(
  request: ScanRequest,
): Promise<ScanResult & { counts: Record<string, number> }> {
  const fragments: InventoryFragment[] = [];
  for (const file of request.inventory) {
    const fragment = await parseInventoryFile(file);
    request.onInventory?.(fragment);
    fragments.push(fragment);
  }
  const index = new AdvisoryIndex();
  let lookup: IntelLookup;
  let feeds: FeedSyncStatus[];
  let counts: Record<string, number>;
  if (request.stored) {
    for await (const advisory of request.stored.advisories) index.upsert(advisory);
    lookup = request.stored.lookup;
    feeds = request.stored.feeds;
    counts = { advisories: index.size };
  } else {
    const store = new IntelStore();
    feeds = await importFeeds(store, request.feeds ?? [], request.importOptions);
    for (const advisory of store.advisories()) index.upsert(advisory);
    lookup = store;
    counts = store.counts();
  }
  return {
    generatedAt: new Date().toISOString(),
    feeds,
    index: index.stats(),
    indexIssues: index.issues.slice(0, 200),
    hosts: assembleHosts(fragments).map((host) => ({
      host,
      report: matchPackages(host.packages, index, lookup),
    })),
    counts,
  };
}
