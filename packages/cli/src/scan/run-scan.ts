import type { InventoryFragment } from '@patchwarden/core';
import { AdvisoryIndex, assembleHosts, matchPackages } from '@patchwarden/core';
import type { ImportOptions } from '@patchwarden/feeds';
import { IntelStore, importFeeds } from '@patchwarden/feeds';
import { parseInventoryFile } from '@patchwarden/inventory';
import type { ScanResult } from './scan-result.ts';

export interface ScanRequest {
  inventory: readonly string[];
  feeds: readonly string[];
  onInventory?: (fragment: InventoryFragment) => void;
  importOptions?: ImportOptions;
}

/** The offline scan: parse inventories, import feeds, match each host. */
export async function runScan(request: ScanRequest): Promise<ScanResult & { store: IntelStore }> {
  const fragments: InventoryFragment[] = [];
  for (const file of request.inventory) {
    const fragment = await parseInventoryFile(file);
    request.onInventory?.(fragment);
    fragments.push(fragment);
  }
  const store = new IntelStore();
  const statuses = await importFeeds(store, request.feeds, request.importOptions);
  const index = AdvisoryIndex.from(store.advisories());
  return {
    generatedAt: new Date().toISOString(),
    feeds: statuses,
    index: index.stats(),
    indexIssues: index.issues.slice(0, 200),
    hosts: assembleHosts(fragments).map((host) => ({
      host,
      report: matchPackages(host.packages, index, store),
    })),
    store,
  };
}
