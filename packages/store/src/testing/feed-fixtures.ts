import type { Advisory, CveRecord, CweEntry, EpssScore, KevEntry } from '@patchwarden/core';
import { ALL_READERS, detectFeed } from '@patchwarden/feeds';
import type { FeedRecord } from '@patchwarden/feeds';
import { fixturePath } from '../../../../test-support/shared-data.ts';

/**
 * Real feed records from the committed fixtures (fixtures/feeds, fixtures/nvd, ...; see their
 * READMEs for origin and licence), normalised by the feed readers exactly as an import would.
 */
export async function fixtureRecords(relative: string): Promise<FeedRecord[]> {
  const path = fixturePath(relative);
  const reader = await detectFeed(path, ALL_READERS);
  if (!reader) throw new Error(`no feed reader recognises ${path}`);
  const records: FeedRecord[] = [];
  for await (const record of reader.read(path)) {
    if (record.kind === 'issue') throw new Error(`fixture ${relative}: ${record.issue.message}`);
    records.push(record);
  }
  return records;
}

export async function fixtureAdvisories(relative: string): Promise<Advisory[]> {
  return (await fixtureRecords(relative)).flatMap((r) => (r.kind === 'advisory' ? [r.advisory] : []));
}

export async function fixtureCves(relative: string): Promise<CveRecord[]> {
  return (await fixtureRecords(relative)).flatMap((r) => (r.kind === 'cve' ? [r.cve] : []));
}

export async function fixtureKev(relative: string): Promise<KevEntry[]> {
  return (await fixtureRecords(relative)).flatMap((r) => (r.kind === 'kev' ? [r.entry] : []));
}

export async function fixtureEpss(relative: string): Promise<EpssScore[]> {
  return (await fixtureRecords(relative)).flatMap((r) => (r.kind === 'epss' ? [r.score] : []));
}

export async function fixtureCwe(relative: string): Promise<CweEntry[]> {
  return (await fixtureRecords(relative)).flatMap((r) => (r.kind === 'cwe' ? [r.entry] : []));
}
