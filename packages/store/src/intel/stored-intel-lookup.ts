import type { CveRecord, CweEntry, EpssScore, IntelLookup, KevEntry } from '@patchwarden/core';

export interface IntelMaps {
  cves: ReadonlyMap<string, CveRecord>;
  kev: ReadonlyMap<string, KevEntry>;
  epss: ReadonlyMap<string, EpssScore>;
  cwe: ReadonlyMap<string, CweEntry>;
}

/** Per-CVE intelligence held in memory, so the synchronous getters of the core can use it. */
export class StoredIntelLookup implements IntelLookup {
  readonly #maps: IntelMaps;

  constructor(maps: IntelMaps) {
    this.#maps = Object.freeze({ ...maps });
  }

  cve(id: string): CveRecord | undefined {
    return this.#maps.cves.get(id);
  }

  kev(id: string): KevEntry | undefined {
    return this.#maps.kev.get(id);
  }

  epss(id: string): EpssScore | undefined {
    return this.#maps.epss.get(id);
  }

  cwe(id: string): CweEntry | undefined {
    return this.#maps.cwe.get(id);
  }

  get sizes(): Record<keyof IntelMaps, number> {
    const { cves, kev, epss, cwe } = this.#maps;
    return { cves: cves.size, kev: kev.size, epss: epss.size, cwe: cwe.size };
  }
}
