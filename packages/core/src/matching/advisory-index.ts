import { asPatchwardenError } from '../errors/index.ts';
import type { Advisory, AffectedPackage } from '../intel/advisory.ts';
import { isWithdrawn } from '../intel/advisory.ts';
import { schemeById, schemeForEcosystem } from '../versions/registry.ts';
import type { CompiledAffected } from './osv-range.ts';
import { compileAffected } from './osv-range.ts';
import { matchEcosystem, packageKey } from './package-name.ts';

/** Ids are unique per feed only: CVE-2024-1 from the Debian tracker and from Alpine differ. */
export function advisoryKey(source: string, id: string): string {
  return `${source}\u0000${id}`;
}

export interface IndexEntry {
  advisory: Advisory;
  affected: AffectedPackage;
  compiled: CompiledAffected;
}

/** An affected entry that could not be indexed; the rest of its advisory still is. */
export interface IndexIssue {
  advisoryId: string;
  ecosystem: string;
  name: string;
  message: string;
}

export interface IndexStats {
  advisories: number;
  withdrawn: number;
  entries: number;
  issues: number;
  /** Affected entries skipped because no version order is known for their ecosystem. */
  unsupportedEcosystems: Record<string, number>;
}

/**
 * Advisories keyed by (ecosystem, normalised package name), each affected entry compiled once.
 * Supports replacing advisories one by one so that a feed delta re-indexes only what changed.
 */
export class AdvisoryIndex {
  readonly #byKey = new Map<string, IndexEntry[]>();
  readonly #keysById = new Map<string, string[]>();
  readonly #advisories = new Map<string, Advisory>();
  readonly #ecosystems = new Map<string, number>();
  #withdrawn = 0;
  #entries = 0;
  readonly issues: IndexIssue[] = [];
  readonly #unsupported: Record<string, number> = {};

  static from(advisories: Iterable<Advisory>): AdvisoryIndex {
    const index = new AdvisoryIndex();
    for (const advisory of advisories) index.upsert(advisory);
    return index;
  }

  get size(): number {
    return this.#advisories.size;
  }

  advisory(source: string, id: string): Advisory | undefined {
    return this.#advisories.get(advisoryKey(source, id));
  }

  /** Entries for one package; `ecosystem` must be the exact OSV ecosystem incl. release. */
  lookup(ecosystem: string, name: string): readonly IndexEntry[] {
    return this.#byKey.get(packageKey(ecosystem, name)) ?? [];
  }

  /** Number of indexed affected entries per ecosystem (feed coverage). */
  ecosystems(): ReadonlyMap<string, number> {
    return this.#ecosystems;
  }

  /**
   * Adds or replaces an advisory (by id). Returns the package keys whose entries changed, so
   * that callers re-match only the installed tuples under those keys.
   */
  upsert(advisory: Advisory): Set<string> {
    const ownKey = advisoryKey(advisory.source, advisory.id);
    const touched = this.remove(advisory.source, advisory.id);
    this.#advisories.set(ownKey, advisory);
    if (isWithdrawn(advisory)) {
      this.#withdrawn++;
      return touched;
    }
    const keys: string[] = [];
    for (const affected of advisory.affected) {
      const scheme = schemeForEcosystem(affected.ecosystem);
      if (!scheme) {
        this.#unsupported[affected.ecosystem] = (this.#unsupported[affected.ecosystem] ?? 0) + 1;
        continue;
      }
      let compiled: CompiledAffected;
      try {
        compiled = compileAffected(affected, scheme, schemeById('semver'));
      } catch (thrown) {
        this.issues.push({
          advisoryId: advisory.id,
          ecosystem: affected.ecosystem,
          name: affected.name,
          message: asPatchwardenError(thrown, 'PW_ERR_INVALID_RANGE').message,
        });
        continue;
      }
      const key = packageKey(affected.ecosystem, affected.name);
      let list = this.#byKey.get(key);
      if (!list) this.#byKey.set(key, (list = []));
      list.push({ advisory, affected, compiled });
      keys.push(key);
      touched.add(key);
      this.#entries++;
      const covered = matchEcosystem(affected.ecosystem);
      this.#ecosystems.set(covered, (this.#ecosystems.get(covered) ?? 0) + 1);
    }
    this.#keysById.set(ownKey, keys);
    return touched;
  }

  /** Removes an advisory; returns the package keys it was indexed under. */
  remove(source: string, id: string): Set<string> {
    const ownKey = advisoryKey(source, id);
    const touched = new Set<string>();
    const previous = this.#advisories.get(ownKey);
    if (!previous) return touched;
    this.#advisories.delete(ownKey);
    if (isWithdrawn(previous)) this.#withdrawn--;
    for (const key of this.#keysById.get(ownKey) ?? []) {
      const list = this.#byKey.get(key);
      if (!list) continue;
      const kept = list.filter((entry) => {
        if (entry.advisory !== previous) return true;
        this.#entries--;
        const eco = matchEcosystem(entry.affected.ecosystem);
        this.#ecosystems.set(eco, (this.#ecosystems.get(eco) ?? 1) - 1);
        return false;
      });
      if (kept.length > 0) this.#byKey.set(key, kept);
      else this.#byKey.delete(key);
      touched.add(key);
    }
    this.#keysById.delete(ownKey);
    return touched;
  }

  stats(): IndexStats {
    return {
      advisories: this.#advisories.size,
      withdrawn: this.#withdrawn,
      entries: this.#entries,
      issues: this.issues.length,
      unsupportedEcosystems: { ...this.#unsupported },
    };
  }
}
