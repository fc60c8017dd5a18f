import type { Advisory, CveRecord, CweEntry, EpssScore, KevEntry } from '@patchwarden/core';
import type { FeedKind, FeedSyncStatus, IntelRecord, IntelSink, WriteCounts } from '@patchwarden/feeds';
import type { IntelRepository } from '@patchwarden/store';

/**
 * Beyond this many changed advisories the whole fleet is recomputed instead: cheaper than
 * keeping a first import of a large feed in memory to name every one of them.
 */
export const MAX_TRACKED_ADVISORIES = 20_000;

/** What an import changed, for deciding which findings to recompute. */
export interface IntelChanges {
  /** Advisories stored new or updated (a whole batch is kept when any of it changed). */
  advisories: Advisory[];
  /** Too many advisories changed to list: recompute everything. */
  overflow: boolean;
  /** CVE, KEV, EPSS or CWE rows changed: they enrich every finding, so recompute everything. */
  enrichment: boolean;
}

/**
 * The database sink of an import (each batch in one transaction, each file's run recorded), which
 * also notes what changed so that only the findings that can move are recomputed afterwards.
 */
export class ChangeTrackingSink implements IntelSink {
  readonly #repository: IntelRepository;
  readonly #signal: AbortSignal | undefined;
  readonly changes: IntelChanges = { advisories: [], overflow: false, enrichment: false };

  constructor(repository: IntelRepository, signal?: AbortSignal) {
    this.#repository = repository;
    this.#signal = signal;
  }

  async write(records: readonly IntelRecord[]): Promise<WriteCounts> {
    // Between batches is a safe place to stop: each batch is its own transaction.
    this.#signal?.throwIfAborted();
    const advisories: Advisory[] = [];
    const cves: CveRecord[] = [];
    const kev: KevEntry[] = [];
    const epss: EpssScore[] = [];
    const cwe: CweEntry[] = [];
    for (const record of records) {
      if (record.kind === 'advisory') advisories.push(record.advisory);
      else if (record.kind === 'cve') cves.push(record.cve);
      else if (record.kind === 'kev') kev.push(record.entry);
      else if (record.kind === 'epss') epss.push(record.score);
      else cwe.push(record.entry);
    }
    const total: WriteCounts = { inserted: 0, updated: 0, unchanged: 0 };
    const add = (counts: WriteCounts): boolean => {
      total.inserted += counts.inserted;
      total.updated += counts.updated;
      total.unchanged += counts.unchanged;
      return counts.inserted + counts.updated > 0;
    };
    if (advisories.length > 0 && add(await this.#repository.upsertAdvisories(advisories))) {
      this.#noteAdvisories(advisories);
    }
    let enrichment = false;
    if (cves.length > 0) enrichment = add(await this.#repository.upsertCves(cves)) || enrichment;
    if (kev.length > 0) enrichment = add(await this.#repository.upsertKev(kev)) || enrichment;
    if (epss.length > 0) enrichment = add(await this.#repository.upsertEpss(epss)) || enrichment;
    if (cwe.length > 0) enrichment = add(await this.#repository.upsertCwe(cwe)) || enrichment;
    if (enrichment) this.changes.enrichment = true;
    return total;
  }

  lastSync(feed: FeedKind, path: string): Promise<string | undefined> {
    return this.#repository.lastSuccessfulSync(feed, path);
  }

  async recordStatus(status: FeedSyncStatus): Promise<void> {
    await this.#repository.recordSync({ ...status, source: status.path });
  }

  #noteAdvisories(advisories: readonly Advisory[]): void {
    if (this.changes.overflow) return;
    if (this.changes.advisories.length + advisories.length > MAX_TRACKED_ADVISORIES) {
      this.changes.overflow = true;
      this.changes.advisories = [];
      return;
    }
    this.changes.advisories.push(...advisories);
  }
}
