import type { Advisory, AffectedPackage } from '@patchwarden/core';
import type { FeedReader, FeedRecord, ReadOptions } from '../feed-record.ts';
import { issue } from '../feed-input/issue.ts';
import { jsonObjectMembers } from '../feed-input/json-object-members.ts';
import { isObject } from '../feed-input/json-shapes.ts';
import type { JsonObject } from '../feed-input/json-shapes.ts';
import { fileStat, openInput } from '../feed-input/open-input.ts';
import { isNewer, sinceMillis } from '../feed-input/since.ts';
import { debianRelease } from './debian-releases.ts';

/**
 * The Debian security tracker's JSON export (https://security-tracker.debian.org/tracker/data/json):
 * `{ "<source package>": { "<CVE or TEMP id>": { description, scope, debianbug, releases: {
 * "<codename>": { status, fixed_version, urgency, repositories } } } } }`.
 *
 * The export is keyed by package but an advisory is keyed by CVE, and one CVE can sit under many
 * packages far apart in the file (chromium ... qtwebengine). Holding the whole ~80 MB export to
 * regroup it would defeat streaming, so the file is streamed twice: the first pass only counts
 * how many packages mention each id, the second builds advisories and yields each one as soon as
 * its last package has been seen. Only ids still waiting for a later package stay in memory.
 * Each pass hands one package at a time to JSON.parse (see json-object-members.ts): on a 128 MB
 * synthetic export, stream-json's token assembly took 16 s per pass, this 10 s for both passes
 * (same busy 2-core machine), with the heap under 45 MB either way.
 */
const FEED = 'debian-tracker';

type Progress = ReadOptions['onProgress'];

async function countPackagesPerId(
  path: string,
  size: number,
  onProgress: Progress,
): Promise<Map<string, number>> {
  const input = await openInput(path, { onBytes: (read) => onProgress?.(read, 2 * size) });
  const counts = new Map<string, number>();
  for await (const member of jsonObjectMembers(input.stream, path)) {
    if (!member.ok || !isObject(member.value)) continue; // reported by the second pass
    for (const id of Object.keys(member.value)) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  // Ids under a single package are yielded at once; only the others need counting down.
  for (const [id, count] of counts) if (count === 1) counts.delete(id);
  return counts;
}

const URGENCIES = new Set(['unimportant', 'low', 'medium', 'high']);

interface Pending {
  advisory: Advisory;
  /** Packages still to come that list this id. */
  remaining: number;
  /** Whether any of its entries was readable; an id seen only in broken entries is not yielded. */
  valid: boolean;
}

class TrackerAdvisories {
  readonly #file: string;
  readonly #modified: string;
  readonly #waiting = new Map<string, Pending>();
  readonly #unknownReleases = new Set<string>();
  readonly #shared: Map<string, number>;

  constructor(file: string, modified: string, shared: Map<string, number>) {
    this.#file = file;
    this.#modified = modified;
    this.#shared = shared;
  }

  /** Adds one package's entries; returns the records now complete, and issues. */
  *addPackage(name: string, entries: unknown): Generator<FeedRecord> {
    if (!isObject(entries)) {
      yield issue(this.#file, `package "${name}": expected an object of CVE entries`, { record: name });
      return;
    }
    for (const [id, entry] of Object.entries(entries)) {
      const pending = this.#pending(id);
      if (!isObject(entry)) {
        yield issue(this.#file, `${name}/${id}: entry is not an object`, { record: id });
      } else {
        pending.valid = true;
        yield* this.#addEntry(pending.advisory, name, id, entry);
      }
      pending.remaining--;
      if (pending.remaining <= 0) {
        this.#waiting.delete(id);
        // Kept even with no affected entry: "no Debian release affected" is an answer too.
        if (pending.valid) yield { kind: 'advisory', advisory: pending.advisory };
      }
    }
  }

  /** Ids whose count did not come down to zero (the file changed between the passes). */
  *flush(): Generator<FeedRecord> {
    for (const { advisory, valid } of this.#waiting.values()) if (valid) yield { kind: 'advisory', advisory };
    this.#waiting.clear();
  }

  #pending(id: string): Pending {
    let pending = this.#waiting.get(id);
    if (!pending) {
      const advisory: Advisory = {
        id,
        aliases: [],
        related: [],
        source: FEED,
        modified: this.#modified,
        severity: [],
        cwes: [],
        affected: [],
        references: [
          { type: 'ADVISORY', url: `https://security-tracker.debian.org/tracker/${encodeURIComponent(id)}` },
        ],
      };
      pending = { advisory, remaining: this.#shared.get(id) ?? 1, valid: false };
      this.#waiting.set(id, pending);
    }
    return pending;
  }

  *#addEntry(advisory: Advisory, name: string, id: string, entry: JsonObject): Generator<FeedRecord> {
    if (typeof entry['description'] === 'string' && advisory.details === undefined) {
      advisory.details = entry['description'];
    }
    const extra: JsonObject = { ...advisory.database_specific };
    if (typeof entry['scope'] === 'string') extra['scope'] = entry['scope'];
    if (typeof entry['debianbug'] === 'number' && extra['debianbug'] === undefined) {
      extra['debianbug'] = entry['debianbug'];
      advisory.references.push({ type: 'REPORT', url: `https://bugs.debian.org/${entry['debianbug']}` });
    }
    if (Object.keys(extra).length > 0) advisory.database_specific = extra;
    const releases = entry['releases'];
    // PHP-style serialisers write an empty object as [].
    if (Array.isArray(releases) && releases.length === 0) return;
    if (!isObject(releases)) {
      yield issue(this.#file, `${name}/${id}: "releases" is not an object`, { record: id });
      return;
    }
    for (const [codename, state] of Object.entries(releases)) {
      const where = `${name}/${id}/${codename}`;
      if (!isObject(state)) {
        yield issue(this.#file, `${where}: release entry is not an object`, { record: id });
        continue;
      }
      const release = debianRelease(codename);
      if (release.kind === 'rolling') continue;
      if (release.kind === 'unknown') {
        if (!this.#unknownReleases.has(codename)) {
          this.#unknownReleases.add(codename);
          yield issue(
            this.#file,
            `unknown Debian release "${codename}" (first seen at ${where}); its entries are skipped`,
            {
              record: id,
            },
          );
        }
        continue;
      }
      const affected = affectedOf(name, release.ecosystem, state);
      if (typeof affected === 'string') yield issue(this.#file, `${where}: ${affected}`, { record: id });
      else if (affected !== undefined) advisory.affected.push(affected);
    }
  }
}

/** The affected entry for one release, undefined when not affected, or why it is invalid. */
function affectedOf(
  name: string,
  ecosystem: string,
  state: JsonObject,
): AffectedPackage | undefined | string {
  const status = state['status'];
  const fixed = state['fixed_version'];
  const databaseSpecific: JsonObject = { status };
  for (const key of ['urgency', 'nodsa', 'nodsa_reason', 'repositories']) {
    if (state[key] !== undefined) databaseSpecific[key] = state[key];
  }
  const entry: AffectedPackage = {
    ecosystem,
    name,
    ranges: [],
    versions: [],
    database_specific: databaseSpecific,
  };
  const urgency = typeof state['urgency'] === 'string' ? state['urgency'].replace(/\*+$/, '') : undefined;
  if (urgency !== undefined && URGENCIES.has(urgency)) entry.severity = [{ type: 'Debian', score: urgency }];
  if (status === 'resolved') {
    if (fixed === '0') return undefined; // the tracker's way of saying "never affected"
    if (typeof fixed !== 'string' || fixed === '') return 'status "resolved" without a fixed_version';
    entry.ranges.push({ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] });
    return entry;
  }
  if (status === 'open' || status === 'undetermined') {
    entry.ranges.push({ type: 'ECOSYSTEM', events: [{ introduced: '0' }] });
    return entry;
  }
  return `unknown status ${JSON.stringify(status) ?? 'undefined'}`;
}

async function* read(path: string, options: ReadOptions = {}): AsyncGenerator<FeedRecord> {
  const since = sinceMillis(options.since);
  const info = await fileStat(path);
  // The export carries no dates; the file's own time stands for "last changed" of every record.
  const modified = info.mtime.toISOString();
  if (!isNewer(modified, since)) return;
  const shared = await countPackagesPerId(path, info.size, options.onProgress);
  const input = await openInput(path, {
    onBytes: (read) => options.onProgress?.(info.size + read, 2 * info.size),
  });
  const advisories = new TrackerAdvisories(path, modified, shared);
  for await (const member of jsonObjectMembers(input.stream, path)) {
    if (member.ok) yield* advisories.addPackage(member.key, member.value);
    else {
      const where = `byte ${member.offset}${member.key === undefined ? '' : ` (package "${member.key}")`}`;
      yield issue(
        path,
        `${member.error} at ${where}`,
        member.key === undefined ? {} : { record: member.key },
      );
    }
  }
  yield* advisories.flush();
}

function sniff(_path: string, head: string): boolean {
  return (
    /^\s*\{\s*"[^"]+"\s*:\s*\{\s*"(CVE-\d{4}-\d+|TEMP-[\w-]+)"\s*:\s*\{/.test(head) &&
    /"releases"\s*:/.test(head)
  );
}

/** One advisory per CVE, affected entries per (source package, Debian release). */
export const debianTrackerReader: FeedReader = Object.freeze({ feed: 'debian-tracker', sniff, read });
