import type { Advisory, CveRecord, CweEntry, EpssScore, IntelLookup, KevEntry } from '@patchwarden/core';
import { advisoryKey } from '@patchwarden/core';
import type { FeedKind, FeedRecord, ImportIssue } from '../feed-record.ts';
import type { IntelRecord, IntelSink, WriteCounts } from '../import/import-feeds.ts';

export type UpsertOutcome = 'inserted' | 'updated' | 'unchanged';

export interface FeedSyncStatus {
  feed: FeedKind;
  path: string;
  startedAt: string;
  finishedAt?: string;
  ok: boolean;
  records: number;
  inserted: number;
  updated: number;
  unchanged: number;
  /** Bad records: skipped and counted; the first ones are kept with file, line and id. */
  skipped: number;
  issues: ImportIssue[];
  /** Newest `modified` seen: the next incremental import starts after it. */
  newestModified?: string;
  error?: string;
}

const MAX_KEPT_ISSUES = 200;

function newer(candidate: string | undefined, current: string | undefined): boolean {
  if (candidate === undefined) return current === undefined;
  if (current === undefined) return true;
  return Date.parse(candidate) > Date.parse(current);
}

/**
 * In-memory intelligence: advisories (by feed and id), CVE records, KEV, EPSS and CWE. Upserts
 * are idempotent and keep the newer record by `modified`, so importing the same files twice, or
 * an older copy after a newer one, changes nothing.
 */
export class IntelStore implements IntelLookup, IntelSink {
  readonly #advisories = new Map<string, Advisory>();
  readonly #cves = new Map<string, CveRecord>();
  readonly #kev = new Map<string, KevEntry>();
  readonly #epss = new Map<string, EpssScore>();
  readonly #cwe = new Map<string, CweEntry>();
  readonly #status: FeedSyncStatus[] = [];

  upsertAdvisory(advisory: Advisory): UpsertOutcome {
    const key = advisoryKey(advisory.source, advisory.id);
    const current = this.#advisories.get(key);
    if (current && !newer(advisory.modified, current.modified)) {
      // Feeds without modification times (Go's vulndb writes the zero time): content decides.
      const timeless = Date.parse(advisory.modified) < Date.parse('0002-01-01T00:00:00Z');
      if (!timeless || JSON.stringify(current) === JSON.stringify(advisory)) return 'unchanged';
    }
    this.#advisories.set(key, advisory);
    return current ? 'updated' : 'inserted';
  }

  upsertCve(cve: CveRecord): UpsertOutcome {
    // NVD and the CVE List describe the same id; keep one per source.
    const key = `${cve.source}:${cve.id}`;
    const current = this.#cves.get(key);
    if (current && !newer(cve.modified, current.modified)) return 'unchanged';
    this.#cves.set(key, cve);
    return current ? 'updated' : 'inserted';
  }

  upsertKev(entry: KevEntry): UpsertOutcome {
    const current = this.#kev.get(entry.cveId);
    if (current && JSON.stringify(current) === JSON.stringify(entry)) return 'unchanged';
    this.#kev.set(entry.cveId, entry);
    return current ? 'updated' : 'inserted';
  }

  upsertEpss(score: EpssScore): UpsertOutcome {
    const current = this.#epss.get(score.cveId);
    if (current && current.date !== undefined && score.date !== undefined && score.date <= current.date) {
      return 'unchanged';
    }
    this.#epss.set(score.cveId, score);
    return current ? 'updated' : 'inserted';
  }

  upsertCwe(entry: CweEntry): UpsertOutcome {
    const current = this.#cwe.get(entry.id);
    // Catalogues differ in richness: keep the parents and description we already know.
    const merged: CweEntry = current
      ? {
          ...current,
          ...entry,
          description: entry.description ?? current.description,
          parents: entry.parents.length > 0 ? entry.parents : current.parents,
        }
      : entry;
    if (current && JSON.stringify(current) === JSON.stringify(merged)) return 'unchanged';
    this.#cwe.set(entry.id, merged);
    return current ? 'updated' : 'inserted';
  }

  /** Applies one reader record; `issue` records are the caller's to count. */
  apply(record: Exclude<FeedRecord, { kind: 'issue' }>): UpsertOutcome {
    switch (record.kind) {
      case 'advisory':
        return this.upsertAdvisory(record.advisory);
      case 'cve':
        return this.upsertCve(record.cve);
      case 'kev':
        return this.upsertKev(record.entry);
      case 'epss':
        return this.upsertEpss(record.score);
      case 'cwe':
        return this.upsertCwe(record.entry);
    }
  }

  advisories(): IterableIterator<Advisory> {
    return this.#advisories.values();
  }

  get advisoryCount(): number {
    return this.#advisories.size;
  }

  counts(): Record<'advisories' | 'cves' | 'kev' | 'epss' | 'cwe', number> {
    return {
      advisories: this.#advisories.size,
      cves: this.#cves.size,
      kev: this.#kev.size,
      epss: this.#epss.size,
      cwe: this.#cwe.size,
    };
  }

  /** The NVD record when there is one (it carries NVD's own scoring), else the CVE List's. */
  cve(id: string): CveRecord | undefined {
    return this.#cves.get(`nvd:${id}`) ?? this.#cves.get(`cve5:${id}`);
  }

  kev(id: string): KevEntry | undefined {
    return this.#kev.get(id);
  }

  epss(id: string): EpssScore | undefined {
    return this.#epss.get(id);
  }

  cwe(id: string): CweEntry | undefined {
    return this.#cwe.get(id);
  }

  async write(records: readonly IntelRecord[]): Promise<WriteCounts> {
    const counts: WriteCounts = { inserted: 0, updated: 0, unchanged: 0 };
    for (const record of records) counts[this.apply(record)]++;
    return counts;
  }

  async recordStatus(status: FeedSyncStatus): Promise<void> {
    this.#status.push(status);
  }

  syncStatus(): readonly FeedSyncStatus[] {
    return this.#status;
  }

  /** Newest `modified` of a successful earlier import of `path`, for incremental re-import. */
  async lastSync(feed: FeedKind, path: string): Promise<string | undefined> {
    for (let i = this.#status.length - 1; i >= 0; i--) {
      const status = this.#status[i]!;
      if (status.feed === feed && status.path === path && status.ok) return status.newestModified;
    }
    return undefined;
  }
}

export { MAX_KEPT_ISSUES };
