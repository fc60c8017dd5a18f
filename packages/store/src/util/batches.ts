/** Consecutive slices of at most `size` items. */
export function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let start = 0; start < items.length; start += size) yield items.slice(start, start + size);
}

/**
 * One item per key, the one `isNewer` prefers, in first-seen order. One INSERT ... ON CONFLICT
 * statement may not touch the same row twice, so a batch must not repeat a key.
 */
export function newestByKey<T>(
  items: readonly T[],
  key: (item: T) => string,
  isNewer: (candidate: T, current: T) => boolean,
): T[] {
  const kept = new Map<string, T>();
  for (const item of items) {
    const k = key(item);
    const current = kept.get(k);
    if (current === undefined || isNewer(item, current)) kept.set(k, item);
  }
  return [...kept.values()];
}
