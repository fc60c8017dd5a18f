import type { Advisory, CveRecord, CweEntry, EpssScore, KevEntry } from '@patchwarden/core';
import type { FeedKind } from '../feed-record.ts';
import type { FeedSyncStatus } from '../store/intel-store.ts';
import type { IntelRecord, IntelSink, WriteCounts } from './import-feeds.ts';

/**
 * What a database needs to offer an import (the store's IntelRepository does): one upsert per
 * kind of record, each batch in one transaction, and the sync history.
 */
export interface IntelWriter {
  upsertAdvisories(advisories: readonly Advisory[]): Promise<WriteCounts>;
  upsertCves(cves: readonly CveRecord[]): Promise<WriteCounts>;
  upsertKev(entries: readonly KevEntry[]): Promise<WriteCounts>;
  upsertEpss(scores: readonly EpssScore[]): Promise<WriteCounts>;
  upsertCwe(entries: readonly CweEntry[]): Promise<WriteCounts>;
  lastSuccessfulSync(feed: FeedKind, source: string): Promise<string | undefined>;
  recordSync(status: FeedSyncStatus & { source: string }): Promise<unknown>;
}

/** One kind's part of a written batch, and whether it stored anything new or different. */
export type WrittenPart =
  | { kind: 'advisory'; records: readonly Advisory[]; changed: boolean }
  | { kind: 'cve' | 'kev' | 'epss' | 'cwe'; changed: boolean };

export interface RepositorySinkOptions {
  /** Checked between batches (each batch is its own transaction, so a stop there loses nothing). */
  signal?: AbortSignal;
  /** Told what each batch changed, e.g. to recompute only the findings that can move. */
  onWritten?: (part: WrittenPart) => void;
}

/**
 * The database sink of an import: records split by kind and written through an IntelWriter,
 * each file's run recorded in the sync history.
 */
export class RepositorySink implements IntelSink {
  readonly #writer: IntelWriter;
  readonly #options: RepositorySinkOptions;

  constructor(writer: IntelWriter, options: RepositorySinkOptions = {}) {
    this.#writer = writer;
    this.#options = options;
  }

  async write(records: readonly IntelRecord[]): Promise<WriteCounts> {
    this.#options.signal?.throwIfAborted();
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
    const notify = this.#options.onWritten ?? (() => undefined);
    if (advisories.length > 0) {
      notify({
        kind: 'advisory',
        records: advisories,
        changed: add(await this.#writer.upsertAdvisories(advisories)),
      });
    }
    if (cves.length > 0) notify({ kind: 'cve', changed: add(await this.#writer.upsertCves(cves)) });
    if (kev.length > 0) notify({ kind: 'kev', changed: add(await this.#writer.upsertKev(kev)) });
    if (epss.length > 0) notify({ kind: 'epss', changed: add(await this.#writer.upsertEpss(epss)) });
    if (cwe.length > 0) notify({ kind: 'cwe', changed: add(await this.#writer.upsertCwe(cwe)) });
    return total;
  }

  lastSync(feed: FeedKind, path: string): Promise<string | undefined> {
    return this.#writer.lastSuccessfulSync(feed, path);
  }

  async recordStatus(status: FeedSyncStatus): Promise<void> {
    await this.#writer.recordSync({ ...status, source: status.path });
  }
}
