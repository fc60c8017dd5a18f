import { AssetRepository, FindingsService } from '@patchwarden/store';
import type { Database, RecomputeResult } from '@patchwarden/store';
import type { IntelChanges } from './change-tracking-sink.ts';

/** What a findings refresh did, as stored in the job's result. */
export interface FindingsRefresh {
  /** `advisories`: only the assets the changed advisories concern; `all`: every asset. */
  scope: 'none' | 'advisories' | 'all';
  advisories: number;
  assets: number;
  opened: number;
  reopened: number;
  updated: number;
  fixed: number;
}

function tally(results: readonly RecomputeResult[]): Omit<FindingsRefresh, 'scope' | 'advisories'> {
  const sum = { assets: results.length, opened: 0, reopened: 0, updated: 0, fixed: 0 };
  for (const result of results) {
    sum.opened += result.opened;
    sum.reopened += result.reopened;
    sum.updated += result.updated;
    sum.fixed += result.fixed;
  }
  return sum;
}

async function recomputeEveryAsset(
  database: Database,
  service: FindingsService,
  now: string,
  signal: AbortSignal | undefined,
): Promise<RecomputeResult[]> {
  const assets = new AssetRepository(database);
  const results: RecomputeResult[] = [];
  let cursor: string | undefined;
  do {
    const page = await assets.list(
      { terms: [] },
      { now, limit: 500, ...(cursor === undefined ? {} : { cursor }) },
    );
    for (const asset of page.items) {
      signal?.throwIfAborted();
      results.push(await service.recomputeFindings(asset.id, now));
    }
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return results;
}

/**
 * Brings stored findings in step with what an import changed: the assets the changed advisories
 * concern (FindingsService.recomputeForAdvisories), or every asset when enrichment data (CVE,
 * KEV, EPSS, CWE) changed or too many advisories did to list.
 */
export async function refreshFindings(
  database: Database,
  changes: IntelChanges,
  now: string,
  signal?: AbortSignal,
): Promise<FindingsRefresh> {
  // A service per refresh: its KEV/EPSS/CVE caches then hold what this import stored.
  const service = new FindingsService(database);
  if (changes.overflow || changes.enrichment) {
    const results = await recomputeEveryAsset(database, service, now, signal);
    return { scope: 'all', advisories: changes.advisories.length, ...tally(results) };
  }
  if (changes.advisories.length === 0) {
    return { scope: 'none', advisories: 0, assets: 0, opened: 0, reopened: 0, updated: 0, fixed: 0 };
  }
  const { results } = await service.recomputeForAdvisories(changes.advisories, now);
  return { scope: 'advisories', advisories: changes.advisories.length, ...tally(results) };
}
