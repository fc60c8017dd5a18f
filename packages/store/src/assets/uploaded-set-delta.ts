import type { CanonicalSet, SetItem } from './inventory-sets.ts';
import { canonicalSetOfItems, setHashOfSorted } from './inventory-sets.ts';

/**
 * Building an uploaded set from an earlier upload's (its "reference") instead of from scratch.
 *
 * An upload's package lines are in code-unit order (core canonical-inventory.ts), and a host's next
 * upload, or another host of the same image, shares nearly all of them. Walking the two line lists
 * side by side finds the shared lines by comparing strings, where looking each line up in the
 * inventory-line cache hashes it and probes a large map (profiled: that lookup was the server's
 * largest cost per upload). The set's order is then the reference's with the few removed items
 * taken out and the few added ones put in by binary search, instead of a sort of every line.
 *
 * Whatever the reference, the result is the set `canonicalSetOfItems` gives for the same items
 * (tests compare the two on real inventories): any case this path does not handle plainly (two
 * items with one set line, a delta too large to pay off) falls back to it.
 */

/** One upload, kept as a reference for the next. Never modified once built. */
export interface UploadedSet {
  /** The OS ecosystem that OS packages took (`''` when none): only a set of the same one is a reference. */
  ecosystem: string;
  /** The upload's package lines, and the item each became (`items[i]` is line `lines[i]`'s). */
  lines: readonly string[];
  items: readonly SetItem[];
  set: CanonicalSet;
  /** No two items share a set line, so `set.items` holds every item once, in set order. */
  distinct: boolean;
}

/** A delta larger than this share of the lines is built from scratch: a sort is cheaper then. */
const MAX_DELTA_SHARE = 0.25;

/**
 * The set of `lines`, with `itemOf(line, index)` giving the item of a line the reference does not
 * share (it throws for a bad line, which stops the build: nothing is returned for a bad upload).
 */
export function uploadedSetFrom(
  reference: UploadedSet | undefined,
  ecosystem: string,
  lines: readonly string[],
  itemOf: (line: string, index: number) => SetItem,
): UploadedSet {
  const items = new Array<SetItem>(lines.length);
  if (reference === undefined || reference.ecosystem !== ecosystem) {
    for (let i = 0; i < lines.length; i++) items[i] = itemOf(lines[i]!, i);
    return fromScratch(ecosystem, lines, items);
  }
  // Shared lines keep the reference's string (so that references do not pin every upload's
  // copies) and its item; the others are looked up. Both lists are in code-unit order.
  const kept = new Array<string>(lines.length);
  const added: SetItem[] = [];
  const removed: SetItem[] = [];
  const old = reference.lines;
  let j = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    while (j < old.length && old[j]! < line) removed.push(reference.items[j++]!);
    if (j < old.length && old[j] === line) {
      kept[i] = old[j]!;
      items[i] = reference.items[j++]!;
    } else {
      const item = itemOf(line, i);
      kept[i] = line;
      items[i] = item;
      added.push(item);
    }
  }
  while (j < old.length) removed.push(reference.items[j++]!);
  // The same set as the reference's (hosts of one image): nothing to sort or hash.
  if (reference.distinct && added.length === 0 && removed.length === 0)
    return { ecosystem, lines: kept, items, set: reference.set, distinct: true };
  const set =
    reference.distinct && added.length + removed.length <= MAX_DELTA_SHARE * lines.length
      ? setWithDelta(reference.set.items, added, removed)
      : undefined;
  if (set === undefined) return fromScratch(ecosystem, kept, items);
  return { ecosystem, lines: kept, items, set, distinct: true };
}

function fromScratch(ecosystem: string, lines: readonly string[], items: readonly SetItem[]): UploadedSet {
  const set = canonicalSetOfItems(items);
  return { ecosystem, lines, items, set, distinct: set.items.length === items.length };
}

/** First index in `sorted` whose line is not below `line`. */
function lowerBound(sorted: readonly SetItem[], line: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]!.line < line) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * `sorted` (distinct lines, in set order) without `removed` and with `added`, in set order and
 * hashed; undefined when the result would hold two items with one line (the caller then dedupes by
 * building from scratch) or a removed item is not where its line says.
 */
function setWithDelta(
  sorted: readonly SetItem[],
  added: SetItem[],
  removed: readonly SetItem[],
): CanonicalSet | undefined {
  const gone = new Uint8Array(sorted.length);
  for (const item of removed) {
    const at = lowerBound(sorted, item.line);
    if (sorted[at] !== item) return undefined;
    gone[at] = 1;
  }
  added.sort((a, b) => (a.line < b.line ? -1 : a.line > b.line ? 1 : 0));
  const insertAt = new Array<number>(added.length);
  for (let a = 0; a < added.length; a++) {
    const line = added[a]!.line;
    if (a > 0 && added[a - 1]!.line === line) return undefined;
    const at = lowerBound(sorted, line);
    if (at < sorted.length && gone[at] === 0 && sorted[at]!.line === line) return undefined;
    insertAt[a] = at;
  }
  const items = new Array<SetItem>(sorted.length - removed.length + added.length);
  let out = 0;
  let a = 0;
  for (let k = 0; k < sorted.length; k++) {
    while (a < added.length && insertAt[a] === k) items[out++] = added[a++]!;
    if (gone[k] === 0) items[out++] = sorted[k]!;
  }
  while (a < added.length) items[out++] = added[a++]!;
  return { hash: setHashOfSorted(items), items };
}
