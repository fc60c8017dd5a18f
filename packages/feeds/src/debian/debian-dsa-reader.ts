import type { Advisory, AffectedPackage } from '@patchwarden/core';
import type { FeedReader, FeedRecord, ReadOptions } from '../feed-record.ts';
import { issue } from '../feed-input/issue.ts';
import type { JsonObject } from '../feed-input/json-shapes.ts';
import { openInput } from '../feed-input/open-input.ts';
import { readLines } from '../feed-input/read-lines.ts';
import { isNewer, sinceMillis } from '../feed-input/since.ts';
import { debianRelease } from './debian-releases.ts';
import { DsaListParser } from './dsa-list-parser.ts';
import type { DsaEntry, DsaParseEvent } from './dsa-list-parser.ts';

/** Markers that leave the release vulnerable with no fixed version to offer. */
const OPEN_MARKERS = new Set(['unfixed', 'end-of-life', 'no-dsa', 'ignored', 'postponed', 'undetermined']);

interface Converted {
  advisory: Advisory;
  problems: { line: number; message: string }[];
}

function toAdvisory(entry: DsaEntry, unknownReleases: Set<string>): Converted {
  const instant = `${entry.date}T00:00:00Z`;
  const advisory: Advisory = {
    id: entry.id,
    aliases: entry.ids.filter((id) => id !== entry.id),
    related: [],
    source: 'debian-dsa',
    // A published DSA is not edited; a correction is a new revision (DSA-1234-2) with its own date.
    modified: instant,
    published: instant,
    severity: [],
    cwes: [],
    affected: [],
    references: [{ type: 'ADVISORY', url: `https://security-tracker.debian.org/tracker/${entry.id}` }],
  };
  if (entry.summary !== undefined) advisory.summary = entry.summary;
  const databaseSpecific: JsonObject = {};
  if (entry.packages.length > 0) databaseSpecific['packages'] = entry.packages;
  if (entry.notes.length > 0) databaseSpecific['notes'] = entry.notes;
  const notAffected: JsonObject[] = [];
  const problems: Converted['problems'] = [];
  for (const item of entry.releases) {
    const release = debianRelease(item.codename);
    if (release.kind === 'rolling') continue;
    if (release.kind === 'unknown') {
      if (!unknownReleases.has(item.codename)) {
        unknownReleases.add(item.codename);
        problems.push({
          line: item.line,
          message: `unknown Debian release "${item.codename}"; its lines are skipped`,
        });
      }
      continue;
    }
    const entryDetails: JsonObject = {};
    if (item.note !== undefined) entryDetails['note'] = item.note;
    const affected: AffectedPackage = {
      ecosystem: release.ecosystem,
      name: item.package,
      ranges: [],
      versions: [],
    };
    if (item.version !== undefined) {
      affected.ranges.push({ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: item.version }] });
    } else if (item.marker === 'not-affected') {
      notAffected.push({ ecosystem: release.ecosystem, name: item.package, ...entryDetails });
      continue;
    } else if (item.marker !== undefined && OPEN_MARKERS.has(item.marker)) {
      affected.ranges.push({ type: 'ECOSYSTEM', events: [{ introduced: '0' }] });
      entryDetails['status'] = item.marker;
    } else {
      problems.push({
        line: item.line,
        message: `[${item.codename}] ${item.package}: unknown marker <${item.marker}>`,
      });
      continue;
    }
    if (Object.keys(entryDetails).length > 0) affected.database_specific = entryDetails;
    advisory.affected.push(affected);
  }
  if (notAffected.length > 0) databaseSpecific['not_affected'] = notAffected;
  if (Object.keys(databaseSpecific).length > 0) advisory.database_specific = databaseSpecific;
  return { advisory, problems };
}

async function* read(path: string, options: ReadOptions = {}): AsyncGenerator<FeedRecord> {
  const since = sinceMillis(options.since);
  const input = await openInput(path, { onBytes: (bytes) => options.onProgress?.(bytes, input.size) });
  const parser = new DsaListParser();
  const unknownReleases = new Set<string>();
  function* records(events: DsaParseEvent[]): Generator<FeedRecord> {
    for (const event of events) {
      if (event.kind === 'problem') {
        yield issue(
          path,
          event.message,
          event.record === undefined ? { line: event.line } : { line: event.line, record: event.record },
        );
        continue;
      }
      const { advisory, problems } = toAdvisory(event.entry, unknownReleases);
      for (const problem of problems)
        yield issue(path, problem.message, { line: problem.line, record: advisory.id });
      if (isNewer(advisory.modified, since)) yield { kind: 'advisory', advisory };
    }
  }
  let line = 0;
  for await (const text of readLines(input.stream, path)) yield* records(parser.push(text, ++line));
  yield* records(parser.end());
}

function sniff(_path: string, head: string): boolean {
  const first = head.replace(/^\uFEFF/, '').split('\n', 1)[0] ?? '';
  return /^\[[^\]]+\]\s*(DSA|DLA|DTSA|ELA)-\d+/.test(first);
}

/** Debian's DSA/DLA/DTSA lists: one advisory per DSA, its CVEs as aliases, fixes per release. */
export const debianDsaReader: FeedReader = Object.freeze({ feed: 'debian-dsa', sniff, read });
