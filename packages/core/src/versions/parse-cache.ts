/**
 * Range checks compare the same few versions over and over (every installed version against every
 * boundary of every advisory), so each scheme keeps its parsed forms in a small bounded map instead
 * of parsing both strings on every call. Invalid input is cached too, as `undefined`, so that a bad
 * version in a feed costs one parse.
 */
export function boundedParseCache<T>(
  limit: number,
  parse: (version: string) => T | undefined,
): (version: string) => T | undefined {
  const cache = new Map<string, T | undefined>();
  return (version: string): T | undefined => {
    if (cache.has(version)) return cache.get(version);
    const parsed = parse(version);
    if (cache.size >= limit) {
      // Oldest first: a Map iterates in insertion order, so this is FIFO eviction in O(1).
      const oldest = cache.keys().next();
      if (!oldest.done) cache.delete(oldest.value);
    }
    cache.set(version, parsed);
    return parsed;
  };
}

/** Default bound: large enough for one feed import's working set, small enough to never matter. */
export const PARSE_CACHE_LIMIT = 4096;
