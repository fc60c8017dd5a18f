import type { CanonicalInventory } from '@patchwarden/core';
import { FIRST_PACKAGE_LINE, osEcosystem, packageOfCanonicalLine } from '@patchwarden/core';
import type { CanonicalSet, SetItem } from './inventory-sets.ts';
import { canonicalSetOfItems, setItemOf, withLineBytes } from './inventory-sets.ts';

const MAX_LINES = 100_000;

/**
 * Package sets from inventories sent as canonical text (core canonical-inventory.ts), with the
 * set item of every line remembered per OS ecosystem. Hosts of one fleet run mostly the same
 * packages and an upgrade moves a few percent of them, so nearly every line of an upload was
 * parsed before, on this host or another: such a line costs one map lookup instead of a JSON
 * parse, a schema check and a set item. A line is the whole package (the same text always means
 * the same package), and OS packages take their ecosystem from the host's release, hence one
 * map per ecosystem. Items are shared between sets and never modified.
 */
export class InventoryLineCache {
  readonly #byEcosystem = new Map<string, Map<string, SetItem>>();
  readonly #max: number;
  #size = 0;

  constructor(options: { maxLines?: number } = {}) {
    this.#max = options.maxLines ?? MAX_LINES;
  }

  /** The set of a checked text (`splitCanonicalInventory`); a bad package line throws with its number. */
  setOf(inventory: CanonicalInventory): CanonicalSet {
    const ecosystem = osEcosystem(inventory.os);
    const known = this.#linesOf(ecosystem ?? '');
    const lines = inventory.packageLines;
    const items: SetItem[] = new Array<SetItem>(lines.length);
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      let item = known.get(line);
      if (item === undefined) {
        const pkg = packageOfCanonicalLine(line, i + FIRST_PACKAGE_LINE);
        if (ecosystem !== undefined && pkg.kind === 'os' && !pkg.ecosystem) pkg.ecosystem = ecosystem;
        item = withLineBytes(setItemOf(pkg));
        this.#remember(known, line, item);
      }
      items[i] = item;
    }
    return canonicalSetOfItems(items);
  }

  get size(): number {
    return this.#size;
  }

  #linesOf(ecosystem: string): Map<string, SetItem> {
    let lines = this.#byEcosystem.get(ecosystem);
    if (!lines) {
      lines = new Map();
      this.#byEcosystem.set(ecosystem, lines);
    }
    return lines;
  }

  #remember(lines: Map<string, SetItem>, line: string, item: SetItem): void {
    if (this.#size >= this.#max) {
      // Oldest first: a forgotten line only costs one more parse.
      const victim = lines.size > 0 ? lines : [...this.#byEcosystem.values()].find((m) => m.size > 0);
      const oldest = victim?.keys().next().value;
      if (victim && oldest !== undefined) {
        victim.delete(oldest);
        this.#size--;
      }
    }
    lines.set(line, item);
    this.#size++;
  }
}
