import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { FeedReader, FeedRecord, ReadOptions } from '../feed-record.ts';
import { issue } from '../feed-input/issue.ts';
import { readHeadSync } from '../feed-input/read-head.ts';
import { isNewer, sinceMillis } from '../feed-input/since.ts';
import { normaliseOsv } from './osv-normalise.ts';
import { osvSources } from './osv-sources.ts';

/** Formats of the other readers that also carry `"id"`; their markers rule OSV out. */
const FOREIGN_MARKERS = [/"format"\s*:\s*"NVD_CVE"/, /"dataType"\s*:\s*"CVE_RECORD"/, /"CVE_data_type"\s*:/];

/**
 * OSV judged from a record's keys: `id` and `modified`, plus `affected` or `schema_version`
 * (NVD says `lastModified`, CVE 5 `dateUpdated`, so neither has `"modified"`).
 */
function looksLikeOsvJson(head: string): boolean {
  const text = head.replace(/^\uFEFF/, '').trimStart();
  if (!text.startsWith('{') && !text.startsWith('[')) return false;
  if (FOREIGN_MARKERS.some((marker) => marker.test(head))) return false;
  if (!/"id"\s*:\s*"/.test(head)) return false;
  const affectedOrSchema = /"affected"\s*:/.test(head) || /"schema_version"\s*:/.test(head);
  return /"modified"\s*:\s*"/.test(head)
    ? affectedOrSchema
    : /"affected"\s*:/.test(head) && /"schema_version"/.test(head);
}

/** osv.dev zips hold `<ID>.json`; NVD's old zips (`nvdcve-1.1-2023.json`) are not OSV. */
function looksLikeOsvZip(head: string): boolean {
  const window = head.slice(0, 1024);
  return /[\w.:+-]+\.json/.test(window) && !/nvdcve/i.test(window);
}

/** A directory of OSV records: its first `.json` file (breadth first, bounded) must look like one. */
function looksLikeOsvDirectory(root: string): boolean {
  const queue = [root];
  let visited = 0;
  while (queue.length > 0 && visited < 200) {
    const dir = queue.shift()!;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return false;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      visited++;
      if (entry.isFile() && /\.json$/i.test(entry.name)) {
        try {
          return looksLikeOsvJson(readHeadSync(join(dir, entry.name)));
        } catch {
          return false;
        }
      }
      if (entry.isDirectory()) queue.push(join(dir, entry.name));
    }
  }
  return false;
}

function sniff(path: string, head: string): boolean {
  if (head === '') return looksLikeOsvDirectory(path);
  if (basename(path).toLowerCase().endsWith('.zip') || head.startsWith('PK\u0003\u0004'))
    return looksLikeOsvZip(head);
  return looksLikeOsvJson(head);
}

async function* read(path: string, options: ReadOptions = {}): AsyncGenerator<FeedRecord> {
  const since = sinceMillis(options.since);
  for await (const item of osvSources(path, options.onProgress)) {
    if (item.kind !== 'raw') {
      yield item;
      continue;
    }
    const result = normaliseOsv(item.value);
    const where = item.line === undefined ? {} : { line: item.line };
    if (!result.ok) {
      yield issue(
        item.file,
        result.message,
        result.id === undefined ? where : { ...where, record: result.id },
      );
    } else if (isNewer(result.advisory.modified, since)) {
      yield { kind: 'advisory', advisory: result.advisory };
    }
  }
}

/** OSV records (osv.dev, GHSA, Go, PyPA, distro OSV feeds) from files, trees, zips or JSONL. */
export const osvReader: FeedReader = Object.freeze({ feed: 'osv', sniff, read });
