import type { Advisory } from '../intel/advisory.ts';
import type { AdvisoryIndex } from './advisory-index.ts';
import type { MatchTarget } from './match-target.ts';
import type { TupleHit } from './matcher.ts';
import { matchTarget } from './matcher.ts';
import { packageKey } from './package-name.ts';

/**
 * Fleet-scale matching. Hosts share most package versions, so installed software is interned as
 * distinct (ecosystem, name, version) tuples with integer ids; hosts hold arrays of ids. Each
 * tuple is matched once, and a feed delta re-matches only tuples under the package names it
 * touched. Answering "which hosts have a vulnerable tuple" is then a scan of integers.
 */
export class FleetMatcher {
  readonly #index: AdvisoryIndex;
  readonly #ids = new Map<string, number>();
  readonly #targets: MatchTarget[] = [];
  readonly #byPackage = new Map<string, number[]>();
  /** Per tuple id: its hits, or undefined when not matched yet; empty when not vulnerable. */
  #hits: (readonly TupleHit[] | undefined)[] = [];
  #vulnerable = new Uint8Array(1024);

  constructor(index: AdvisoryIndex) {
    this.#index = index;
  }

  get tupleCount(): number {
    return this.#targets.length;
  }

  /** The id of a tuple, creating it on first sight. */
  intern(target: MatchTarget): number {
    const key = `${target.ecosystem}\u0000${target.name}\u0000${target.version}`;
    let id = this.#ids.get(key);
    if (id !== undefined) return id;
    id = this.#targets.length;
    this.#ids.set(key, id);
    this.#targets.push(target);
    this.#hits.push(undefined);
    const pkg = packageKey(target.ecosystem, target.name);
    let ids = this.#byPackage.get(pkg);
    if (!ids) this.#byPackage.set(pkg, (ids = []));
    ids.push(id);
    return id;
  }

  target(id: number): MatchTarget {
    const target = this.#targets[id];
    if (!target) throw new RangeError(`No tuple ${id}`);
    return target;
  }

  #match(id: number): void {
    const hits = matchTarget(this.#index, this.#targets[id]!);
    this.#hits[id] = hits;
    if (id >= this.#vulnerable.length) {
      const grown = new Uint8Array(Math.max(id + 1, this.#vulnerable.length * 2));
      grown.set(this.#vulnerable);
      this.#vulnerable = grown;
    }
    this.#vulnerable[id] = hits.length > 0 ? 1 : 0;
  }

  /** Matches every tuple not matched yet (new inventory); returns how many were matched. */
  matchPending(): number {
    let matched = 0;
    for (let id = 0; id < this.#targets.length; id++) {
      if (this.#hits[id] === undefined) {
        this.#match(id);
        matched++;
      }
    }
    return matched;
  }

  /**
   * Applies new or changed advisories to the index and re-matches only the tuples whose package
   * they touch. Returns the ids of the re-matched tuples.
   */
  applyAdvisories(advisories: Iterable<Advisory>): number[] {
    const touched = new Set<string>();
    for (const advisory of advisories) for (const key of this.#index.upsert(advisory)) touched.add(key);
    const rematched: number[] = [];
    for (const key of touched) {
      for (const id of this.#byPackage.get(key) ?? []) {
        this.#match(id);
        rematched.push(id);
      }
    }
    return rematched;
  }

  hits(id: number): readonly TupleHit[] {
    return this.#hits[id] ?? [];
  }

  isVulnerable(id: number): boolean {
    return this.#vulnerable[id] === 1;
  }

  /** Vulnerable tuple ids among one host's rows. */
  vulnerableIn(rows: Int32Array | readonly number[]): number[] {
    const out: number[] = [];
    const bitmap = this.#vulnerable;
    for (let i = 0; i < rows.length; i++) {
      const id = rows[i]!;
      if (bitmap[id] === 1) out.push(id);
    }
    return out;
  }
}
