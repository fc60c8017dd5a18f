import type { Advisory } from '@patchwarden/core';
import { RepositorySink } from '@patchwarden/feeds';
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
export class ChangeTrackingSink extends RepositorySink {
  readonly changes: IntelChanges = { advisories: [], overflow: false, enrichment: false };

  constructor(repository: IntelRepository, signal?: AbortSignal) {
    super(repository, {
      ...(signal === undefined ? {} : { signal }),
      onWritten: (part) => {
        if (!part.changed) return;
        if (part.kind === 'advisory') this.#noteAdvisories(part.records);
        else this.changes.enrichment = true;
      },
    });
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
