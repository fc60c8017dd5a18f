import type { PatchQueue } from './patch-queue.ts';

export interface QueuePageRequest {
  offset: number;
  limit: number;
}

export interface QueuePageInfo {
  offset: number;
  limit: number;
  /** Patches in the whole queue (items), and entries in its suppressed and without-fix lists. */
  total: number;
  suppressedTotal: number;
  withoutFixTotal: number;
  /** The offset of the next page while any of the three lists has more. */
  nextOffset?: number;
}

/**
 * One page of a computed queue: the same window (offset, limit) over its ranked patches and over
 * its lists of suppressed findings and findings without a fix, so that walking the pages walks all
 * three. The summary and the window load stay whole: they describe the queue, not the page.
 */
export function pageOfQueue<Q extends PatchQueue>(
  queue: Q,
  request: QueuePageRequest,
): Q & { page: QueuePageInfo } {
  const { offset, limit } = request;
  const end = offset + limit;
  const longest = Math.max(queue.items.length, queue.suppressed.length, queue.withoutFix.length);
  const page: QueuePageInfo = {
    offset,
    limit,
    total: queue.items.length,
    suppressedTotal: queue.suppressed.length,
    withoutFixTotal: queue.withoutFix.length,
    ...(end < longest ? { nextOffset: end } : {}),
  };
  return {
    ...queue,
    items: queue.items.slice(offset, end),
    suppressed: queue.suppressed.slice(offset, end),
    withoutFix: queue.withoutFix.slice(offset, end),
    page,
  };
}
