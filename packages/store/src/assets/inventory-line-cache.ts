import type { CanonicalInventory } from '@patchwarden/core';
import { FIRST_PACKAGE_LINE, osEcosystem, packageOfCanonicalLine } from '@patchwarden/core';
import type { CanonicalSet, SetItem } from './inventory-sets.ts';
import { canonicalSetOfItems, setItemOf, withLineBytes } from './inventory-sets.ts';
import type { UploadedSet } from './uploaded-set-delta.ts';
import { uploadedSetFrom } from './uploaded-set-delta.ts';

const MAX_LINES = 100_000;
/**
 * Lines of hosts' last uploads kept as references: three pointers each (line, item, set order),
 * about 36 MB at this bound, or a thousand hosts of 1,500 packages.
 */
const MAX_HOST_LINES = 1_500_000;
const MAX_ECOSYSTEM_REFERENCES = 64;

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
  /** Each OS ecosystem's latest upload, and each host's (in upload order, oldest first). */
  readonly #latest = new Map<string, UploadedSet>();
  readonly #hosts = new Map<string, UploadedSet>();
  readonly #maxHostLines: number;
  #hostLines = 0;

  constructor(options: { maxLines?: number; maxHostLines?: number } = {}) {
    this.#max = options.maxLines ?? MAX_LINES;
    this.#maxHostLines = options.maxHostLines ?? MAX_HOST_LINES;
  }

  /**
   * The set of a checked text (`splitCanonicalInventory`); a bad package line throws with its
   * number. With `host` (an asset id), the set is built from a reference (uploaded-set-delta.ts):
   * that host's previous upload, else the latest upload of its OS, and is kept as both for the
   * next. Pass it only for lines decoded one by one: a line split out of a larger string may keep
   * that whole string alive for as long as it is kept.
   */
  setOf(inventory: CanonicalInventory, options: { host?: string } = {}): CanonicalSet {
    const ecosystem = osEcosystem(inventory.os);
    const known = this.#linesOf(ecosystem ?? '');
    const itemOf = (line: string, i: number): SetItem => {
      let item = known.get(line);
      if (item === undefined) {
        const pkg = packageOfCanonicalLine(line, i + FIRST_PACKAGE_LINE);
        if (ecosystem !== undefined && pkg.kind === 'os' && !pkg.ecosystem) pkg.ecosystem = ecosystem;
        item = withLineBytes(setItemOf(pkg));
        this.#remember(known, line, item);
      }
      return item;
    };
    const { host } = options;
    if (host === undefined) {
      const lines = inventory.packageLines;
      const items: SetItem[] = new Array<SetItem>(lines.length);
      for (let i = 0; i < lines.length; i++) items[i] = itemOf(lines[i]!, i);
      return canonicalSetOfItems(items);
    }
    const reference = this.#hosts.get(host) ?? this.#latest.get(ecosystem ?? '');
    const uploaded = uploadedSetFrom(reference, ecosystem ?? '', inventory.packageLines, itemOf);
    this.#latest.delete(uploaded.ecosystem);
    this.#latest.set(uploaded.ecosystem, uploaded);
    // Releases are few in a fleet; a stream of made-up ones keeps only the latest few references.
    if (this.#latest.size > MAX_ECOSYSTEM_REFERENCES) this.#latest.delete(this.#latest.keys().next().value!);
    this.#keepForHost(host, uploaded);
    return uploaded.set;
  }

  /** Hosts whose last upload is kept as their next one's reference. */
  get hostsKept(): number {
    return this.#hosts.size;
  }

  #keepForHost(host: string, uploaded: UploadedSet): void {
    const previous = this.#hosts.get(host);
    if (previous) {
      this.#hostLines -= previous.lines.length;
      this.#hosts.delete(host);
    }
    if (uploaded.lines.length > this.#maxHostLines) return;
    // Least recently uploaded first: a host forgotten builds its next set from its OS's latest.
    for (const [oldest, kept] of this.#hosts) {
      if (this.#hostLines + uploaded.lines.length <= this.#maxHostLines) break;
      this.#hosts.delete(oldest);
      this.#hostLines -= kept.lines.length;
    }
    this.#hosts.set(host, uploaded);
    this.#hostLines += uploaded.lines.length;
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
