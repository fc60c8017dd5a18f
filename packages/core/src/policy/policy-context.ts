/**
 * One evaluation of a policy at one instant: the compiled policy, "now" (passed in, never read
 * from a clock) and the caches that many findings share.
 */
import { instantMs } from '../risk/instant.ts';
import type { Instant } from '../risk/instant.ts';
import { asCompiledPolicy } from './compile-policy.ts';
import type { CompiledPolicy } from './compile-policy.ts';
import { AssetFilterCache } from './conditions.ts';
import type { PolicyDocument } from './policy-schema.ts';

export class PolicyContext {
  readonly policy: CompiledPolicy;
  readonly nowMs: number;
  readonly nowIso: string;
  readonly assets: AssetFilterCache;

  constructor(policy: PolicyDocument | CompiledPolicy, now: Instant) {
    this.policy = asCompiledPolicy(policy);
    this.nowMs = instantMs(now, 'now');
    this.nowIso = isoOf(this.nowMs);
    this.assets = new AssetFilterCache(this.nowIso);
  }
}

const isoCache = new Map<number, string>();

/** RFC 3339 in UTC, without milliseconds when there are none. */
export function isoOf(epochMs: number): string {
  let iso = isoCache.get(epochMs);
  if (iso === undefined) {
    const full = new Date(epochMs).toISOString();
    iso = full.endsWith('.000Z') ? `${full.slice(0, -5)}Z` : full;
    // Few distinct instants recur (first sightings + SLA days): a small cache, dropped when full.
    if (isoCache.size >= 4096) isoCache.clear();
    isoCache.set(epochMs, iso);
  }
  return iso;
}
