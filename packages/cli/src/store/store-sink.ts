import type { CveRecord, CweEntry, EpssScore, KevEntry, Advisory } from '@patchwarden/core';
import type { FeedKind, FeedSyncStatus, IntelRecord, IntelSink, WriteCounts } from '@patchwarden/feeds';
import type { IntelRepository } from '@patchwarden/store';

/** Feed imports written to the database: each batch in one transaction, sync status recorded. */
export class StoreSink implements IntelSink {
  readonly #repository: IntelRepository;

  constructor(repository: IntelRepository) {
    this.#repository = repository;
  }

  async write(records: readonly IntelRecord[]): Promise<WriteCounts> {
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
    const add = (counts: WriteCounts): void => {
      total.inserted += counts.inserted;
      total.updated += counts.updated;
      total.unchanged += counts.unchanged;
    };
    if (advisories.length > 0) add(await this.#repository.upsertAdvisories(advisories));
    if (cves.length > 0) add(await this.#repository.upsertCves(cves));
    if (kev.length > 0) add(await this.#repository.upsertKev(kev));
    if (epss.length > 0) add(await this.#repository.upsertEpss(epss));
    if (cwe.length > 0) add(await this.#repository.upsertCwe(cwe));
    return total;
  }

  lastSync(feed: FeedKind, path: string): Promise<string | undefined> {
    return this.#repository.lastSuccessfulSync(feed, path);
  }

  async recordStatus(status: FeedSyncStatus): Promise<void> {
    await this.#repository.recordSync({ ...status, source: status.path });
  }
}
